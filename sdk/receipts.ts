import { createHash } from 'node:crypto';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';

/** Offline verification of a hub receipt (the Hub-Receipt header) against the hub's JWKS. */

export type HubReceipt = {
  typ: 'hub-receipt/v1';
  partnerId: string;
  idempotencyKey: string | null;
  bodyDigest: string;
  issuedAt: string;
};

/** Throws unless the receipt is signed by a key of the JWKS and is for exactly this body. */
export async function verifyHubReceipt(
  receipt: string,
  jwks: JSONWebKeySet,
  body: string | Uint8Array,
): Promise<HubReceipt> {
  const { payload } = await compactVerify(receipt, createLocalJWKSet(jwks), {
    algorithms: ['EdDSA', 'ES256'],
  });
  const parsed = JSON.parse(new TextDecoder().decode(payload)) as HubReceipt;
  if (parsed.typ !== 'hub-receipt/v1') throw new Error('not a hub receipt');
  const digest = createHash('sha256').update(body).digest('base64url');
  if (parsed.bodyDigest !== digest) throw new Error('the receipt is for another answer body');
  return parsed;
}
