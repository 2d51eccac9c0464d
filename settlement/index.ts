export {
  breakagePostings,
  clearingPostings,
  type Obligation,
} from './clearing.ts';
export {
  type ComputeHooks,
  type ComputeStep,
  computePeriod,
  SettlementImbalance,
} from './compute.ts';
export { liabilitySnapshotJob, runSettlement, settlementJob } from './job.ts';
export {
  breakageWindowDays,
  type IssuerLiability,
  type Liability,
  liabilityAt,
} from './liability.ts';
export {
  type LiabilitySnapshotView,
  periodLiability,
  snapshotDuePeriods,
} from './liability-snapshots.ts';
export {
  type Payee,
  type PayeesOf,
  paymentFile,
  paymentFileHeader,
} from './payments.ts';
export type { PeriodBounds } from './periods.ts';
export {
  type KindCounts,
  type ReconcileLine,
  type ReconcileOutcome,
  reconcile,
  reconcileKinds,
} from './reconcile.ts';
export { periodRevenue, type Revenue } from './revenue.ts';
export {
  defaultSettlementSettings,
  loadSettlementSettings,
  type SettlementSettings,
} from './settings.ts';
export { settlePeriod } from './settle.ts';
export {
  claimsBytes,
  claimsOf,
  type StatementClaims,
  statementClaims,
  statementSignatureType,
} from './signature.ts';
export {
  getStatement,
  type PartnerPeriod,
  partnerPeriods,
  type Statement,
  type StatementLine,
  statementCsv,
  statementPageLines,
  statementPageLinesMax,
} from './statements.ts';
export {
  approvePeriod,
  listPeriods,
  markPaid,
  type Payment,
  type PeriodActor,
  type PeriodSummary,
  type PeriodView,
  periodSummary,
} from './workflow.ts';
