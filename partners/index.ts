export {
  type BankDetailsView,
  bankDetailsHistory,
  bankDetailsInForce,
  bankDetailsView,
  setBankDetails,
} from './bank-details.ts';
export {
  claimIdempotencyKey,
  completeIdempotencyKey,
  deleteExpiredIdempotencyKeys,
  type IdempotencyClaim,
  idempotencyCleanupJob,
  KeptAnswer,
  type KeptState,
  type KeyedRequest,
  keepAnswers,
  keptAnswer,
  keptStates,
  keyedName,
  keyReused,
  releaseIdempotencyKey,
  requestHash,
  type StoredResponse,
} from './idempotency.ts';
export {
  announcePartnerChange,
  listenForPartnerChanges,
  type PartnerChangeListener,
  publishPartnerChange,
} from './key-changes.ts';
export {
  type KeyAlgorithm,
  keyCacheTtlMs,
  listPartnerKeys,
  type PublicJwk,
  PublicJwkSchema,
  registerPartnerKey,
  revokePartnerKey,
  type VerifyingPartner,
} from './keys.ts';
export { activeKeysPerPartnerMax, addOwnKey, revokeOwnKey } from './own-keys.ts';
export { defaultRateLimitPerMinute } from './rate-limit.ts';
export {
  buildReceipt,
  ReceiptError,
  type ReceiptPayload,
  receiptHeaderName,
  verifyReceipt,
} from './receipts.ts';
export {
  addStore,
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
  partnerBrands,
  type SettlementDetails,
  SettlementDetailsSchema,
  updatePartner,
} from './registry.ts';
export {
  type CounterPolicy,
  type CounterPolicyChanges,
  type CounterRules,
  counterPolicyBounds,
  counterPolicySettings,
  getCounterRules,
  getOutstandingPointsMax,
  getPartnerRules,
  outstandingPointsCaps,
  type PaidMultiplier,
  type PartnerRules,
  paidMultipliers,
  setBurnRule,
  setEarnRule,
  setOutstandingPointsMax,
  updateCounterPolicy,
} from './rule-store.ts';
export {
  type Accrual,
  type BurnRule,
  BurnRuleSchema,
  type Campaign,
  computeAccrual,
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
  type SignedRequest,
  type SigningInput,
  signingKid,
  signingString,
  verifyPartnerRequest,
} from './signing.ts';
export {
  createPartnerUser,
  findPartnerUser,
  type PartnerUser,
  verifyPartnerUser,
} from './users.ts';
export {
  fanOutEvents,
  getWebhookDelivery,
  listWebhookDeliveries,
  redeliverWebhook,
  retryDelayMs,
  type WebhookDeliveryDetail,
  type WebhookDeliveryView,
} from './webhook-deliveries.ts';
export {
  checkEndpointUrl,
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  endpointsPerPartnerMax,
  listWebhookEndpoints,
  updateWebhookEndpoint,
  type WebhookEndpoint,
  WebhookEndpointInputSchema,
  WebhookEndpointPatchSchema,
} from './webhook-endpoints.ts';
export {
  attemptDelivery,
  type WebhookSignaturePayload,
  webhookDeliveryQueue,
  webhookHeaders,
  webhookJobs,
  webhookPayloadType,
  webhookSignatureHeaderName,
} from './webhook-jobs.ts';
export { isPrivateAddress, postWebhook } from './webhook-sender.ts';
