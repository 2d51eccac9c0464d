import { createHash } from 'node:crypto';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';

/**
 * Verification of a webhook the hub posted: the Hub-Webhook-Signature header is a compact JWS
 * signed by the hub (a key of /.well-known/jwks.json) over the delivery's ids and the digest
 * of the exact body bytes.
 */

export type WebhookSignature = {
  typ: 'hub-webhook/v1';
  partnerId: string;
  endpointId: string;
  deliveryId: string;
  eventId: string;
  eventType: string;
  bodyDigest: string;
  issuedAt: string;
};

/** What the hub posts: one event, with what it tells this partner. */
export type HubEvent<D = Record<string, unknown>> = {
  id: string;
  type: string;
  occurredAt: string;
  partnerId: string;
  data: D;
};

export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
}

export type VerifyWebhookOptions = {
  /** Your partner id: a webhook signed for another partner is refused. */
  partnerId?: string;
  /** A signature older than this is refused (a replay); default 300. */
  maxAgeSeconds?: number;
  /** Defaults to the machine's clock. */
  now?: Date;
};

/**
 * Checks the signature against the JWKS, that it is for exactly this body, for this partner,
 * and recent; returns the event and the signed delivery details. Throws otherwise.
 */
export async function verifyHubWebhook(
  body: string | Uint8Array,
  signature: string,
  jwks: JSONWebKeySet,
  options: VerifyWebhookOptions = {},
): Promise<{ event: HubEvent; signature: WebhookSignature }> {
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(signature, createLocalJWKSet(jwks), {
      algorithms: ['EdDSA', 'ES256'],
    }));
  } catch (error) {
    throw new WebhookVerificationError(
      `webhook signature: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const signed = JSON.parse(new TextDecoder().decode(payload)) as WebhookSignature;
  if (signed.typ !== 'hub-webhook/v1') throw new WebhookVerificationError('not a hub webhook');
  if (signed.bodyDigest !== createHash('sha256').update(body).digest('base64url'))
    throw new WebhookVerificationError('the signature is for another body');
  if (options.partnerId !== undefined && signed.partnerId !== options.partnerId)
    throw new WebhookVerificationError('the webhook is for another partner');
  const ageSeconds = ((options.now ?? new Date()).getTime() - Date.parse(signed.issuedAt)) / 1000;
  if (!(Math.abs(ageSeconds) <= (options.maxAgeSeconds ?? 300)))
    throw new WebhookVerificationError('the signature is too old (or from the future)');
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
  const event = JSON.parse(text) as HubEvent;
  if (event.id !== signed.eventId || event.partnerId !== signed.partnerId)
    throw new WebhookVerificationError('the body does not match its signature');
  return { event, signature: signed };
}
