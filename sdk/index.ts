export { createPartnerClient, type PartnerClient } from './client.ts';
export {
  HubError,
  HubNetworkError,
  HubProblemError,
  HubVerificationError,
  type Problem,
} from './errors.ts';
export {
  type CallInput,
  type CallOptions,
  clientRoutes,
  createHubClient,
  type HubClient,
  type HubClientOptions,
  type HubResult,
  newIdempotencyKey,
} from './hub-client.ts';
export { createJwksCache, type JwksCache, kidOf } from './jwks.ts';
export { importSigningKey, type PrivateKeyInput } from './keys.ts';
export type { PartnerRoutes, Schemas } from './openapi-types.ts';
export { type HubReceipt, verifyHubReceipt } from './receipts.ts';
export { defaultRetryPolicy, type RetryPolicy } from './retry.ts';
export {
  type PartnerSigningKey,
  partnerSigningString,
  type RequestToSign,
  sha256Base64url,
  signPartnerRequest,
} from './signing.ts';
export {
  type HubEvent,
  type VerifyWebhookOptions,
  verifyHubWebhook,
  type WebhookSignature,
  WebhookVerificationError,
} from './webhooks.ts';
