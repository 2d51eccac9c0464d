export { createPartnerClient, newIdempotencyKey, type PartnerClient } from './client.ts';
export { createJwksCache, type JwksCache, kidOf } from './jwks.ts';
export { type HubReceipt, verifyHubReceipt } from './receipts.ts';
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
