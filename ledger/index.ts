export {
  type AccountKey,
  hubOwnerId,
  memberPointsKey,
  type OwnerType,
  partnerPointsKey,
  pointsAsset,
} from './accounts.ts';
export {
  type AccrualInput,
  type AccrualOutcome,
  type AccrualResult,
  accrualHash,
  type PlannedAccrual,
  planAccrual,
} from './accrual.ts';
export type {
  ClawBackInput,
  ClawBackOutcome,
  ForfeitOutcome,
  PostInput,
  PostOutcome,
} from './adjustments.ts';
export { type EntryFact, partnerEntriesSince } from './audit.ts';
export type { ExpiryPostings } from './expiry.ts';
export {
  type GroupCommitOptions,
  type GroupCommitWriter,
  groupCommitDefaults,
  processShards,
  type Settled,
  type ShardRange,
} from './group-commit.ts';
export type { CaptureInput, VoidInput } from './holds.ts';
export { createLedger, type Ledger, ledgerJobs } from './ledger.ts';
export { issuerPointKinds, lockIssuersOutstanding } from './liability.ts';
export type { LotTake } from './lots.ts';
export type {
  ActivityLine,
  ActivityPage,
  EntryView,
  ExpiringPoints,
  MemberPoints,
  StatementLine,
  StatementPage,
} from './queries.ts';
export type { Replayable } from './requests.ts';
export type { ReverseInput, ReverseOutcome } from './reversal.ts';
export type {
  ExtraPostings,
  HoldInput,
  HoldOutcome,
  RedeemInput,
  SpendOutcome,
} from './spending.ts';
export { type LedgerFault, verifyLedger } from './verify.ts';
