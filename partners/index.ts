export {
  claimIdempotencyKey,
  completeIdempotencyKey,
  deleteExpiredIdempotencyKeys,
  type IdempotencyClaim,
  idempotencyCleanupJob,
  idempotencyLeaseMs,
  idempotencyRetentionMs,
  releaseIdempotencyKey,
  requestHash,
  type StoredResponse,
} from './idempotency.ts';
export {
  announcePartnerChange,
  listenForPartnerChanges,
  type PartnerChangeListener,
} from './key-changes.ts';
export {
  algorithmOf,
  invalidatePartnerCache,
  type KeyAlgorithm,
  keyCacheTtlMs,
  listPartnerKeys,
  type PublicJwk,
  PublicJwkSchema,
  registerPartnerKey,
  revokePartnerKey,
  type VerifyingPartner,
} from './keys.ts';
export { defaultRateLimitPerMinute, takeRateLimit } from './rate-limit.ts';
export {
  buildReceipt,
  ReceiptError,
  type ReceiptPayload,
  receiptHeaderName,
  verifyReceipt,
} from './receipts.ts';
export {
  addStore,
  findPartner,
  getPartner,
  getPartnerStore,
  listPartners,
  listStores,
  type NewStoreInput,
  NewStoreSchema,
  type OnboardPartnerInput,
  OnboardPartnerSchema,
  onboardPartner,
  type PartnerStatus,
  type SettlementDetails,
  SettlementDetailsSchema,
  updatePartner,
} from './registry.ts';
export { getPartnerRules, type PartnerRules, setBurnRule, setEarnRule } from './rule-store.ts';
export {
  type Accrual,
  type BurnRule,
  BurnRuleSchema,
  type Campaign,
  CampaignSchema,
  computeAccrual,
  defaultBurnRule,
  defaultEarnRule,
  type EarnRule,
  EarnRuleSchema,
  localDateOf,
  type MemberContext,
  type Multiplier,
  maxRedeemablePoints,
  type Purchase,
  pointsValueMinor,
} from './rules.ts';
export {
  bodyDigest,
  nonceTtlSeconds,
  type SignedRequest,
  type SigningInput,
  signatureHeaderNames,
  signingScheme,
  signingString,
  timestampToleranceSeconds,
  verifyPartnerRequest,
} from './signing.ts';
