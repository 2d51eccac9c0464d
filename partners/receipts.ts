import { createHash } from 'node:crypto';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import type { Services } from '../platform/index.ts';

/**
 * Hub-signed receipts for money-moving answers: a compact JWS, signed with the hub's active
 * key, over the digest of the exact answer body and a few fixed fields. The ids an answer
 * concerns are in the body the digest covers, so a receipt stays the same small size however
 * large the answer (a 500-purchase batch included). The partner keeps it as proof and verifies
 * it offline against /.well-known/jwks.json.
 */

export const receiptHeaderName = 'hub-receipt';
export const receiptType = 'hub-receipt/v1';

export type ReceiptPayload = {
  typ: typeof receiptType;
  partnerId: string;
  idempotencyKey: string | null;
  /** base64url (no padding) SHA-256 of the exact answer body bytes. */
  bodyDigest: string;
  issuedAt: string;
};

function digestOf(body: string | Uint8Array): string {
  return createHash('sha256').update(body).digest('base64url');
}

export async function buildReceipt(
  services: Services,
  input: {
    partnerId: string;
    idempotencyKey: string | null;
    body: string | Uint8Array;
  },
): Promise<string> {
  const payload: ReceiptPayload = {
    typ: receiptType,
    partnerId: input.partnerId,
    idempotencyKey: input.idempotencyKey,
    bodyDigest: digestOf(input.body),
    issuedAt: services.clock.now().toISOString(),
  };
  return services.hubSigner.signCompact(new TextEncoder().encode(JSON.stringify(payload)), {
    typ: 'hub-receipt+jws',
  });
}

export class ReceiptError extends Error {
  override name = 'ReceiptError';
}

/** Verifies a receipt against the hub's JWKS and the answer body it came with. */
export async function verifyReceipt(
  receipt: string,
  jwks: JSONWebKeySet,
  body: string | Uint8Array,
): Promise<ReceiptPayload> {
  let payloadBytes: Uint8Array;
  try {
    ({ payload: payloadBytes } = await compactVerify(receipt, createLocalJWKSet(jwks), {
      algorithms: ['EdDSA', 'ES256'],
    }));
  } catch (error) {
    throw new ReceiptError(
      `receipt signature: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const payload = JSON.parse(new TextDecoder().decode(payloadBytes)) as ReceiptPayload;
  if (payload.typ !== receiptType) throw new ReceiptError('not a hub receipt');
  if (payload.bodyDigest !== digestOf(body)) {
    throw new ReceiptError('the receipt is for another answer body');
  }
  return payload;
}
