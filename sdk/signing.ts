import { createHash, randomBytes } from 'node:crypto';
import { CompactSign, type CryptoKey } from 'jose';

/**
 * Signs a partner request for the hub (docs/signing.md). The SDK is its own package: it
 * imports nothing from the server, so this file restates the scheme rather than sharing it.
 */

export type PartnerSigningKey = {
  partnerId: string;
  kid: string;
  alg: 'EdDSA' | 'ES256';
  privateKey: CryptoKey;
};

export type RequestToSign = {
  method: string;
  /** Path and query exactly as they will be sent, e.g. /v1/partner/stores?limit=5 */
  pathWithQuery: string;
  body?: string | Uint8Array;
  idempotencyKey?: string;
  /** Defaults to now; Unix seconds. */
  timestamp?: number;
  /** Defaults to 24 random bytes, base64url. */
  nonce?: string;
};

export function sha256Base64url(body: string | Uint8Array): string {
  return createHash('sha256').update(body).digest('base64url');
}

export function partnerSigningString(
  partnerId: string,
  request: Required<Omit<RequestToSign, 'body'>> & { bodyDigest: string },
): string {
  return [
    'hub-request-v1',
    partnerId,
    request.method.toUpperCase(),
    request.pathWithQuery,
    String(request.timestamp),
    request.nonce,
    request.idempotencyKey,
    request.bodyDigest,
  ].join('\n');
}

/** The headers to send with the request (the body itself goes unchanged). */
export async function signPartnerRequest(
  key: PartnerSigningKey,
  request: RequestToSign,
): Promise<Record<string, string>> {
  const timestamp = request.timestamp ?? Math.floor(Date.now() / 1000);
  const nonce = request.nonce ?? randomBytes(24).toString('base64url');
  const idempotencyKey = request.idempotencyKey ?? '';
  const payload = partnerSigningString(key.partnerId, {
    method: request.method,
    pathWithQuery: request.pathWithQuery,
    timestamp,
    nonce,
    idempotencyKey,
    bodyDigest: sha256Base64url(request.body ?? ''),
  });
  const jws = await new CompactSign(new TextEncoder().encode(payload))
    .setProtectedHeader({ alg: key.alg, kid: key.kid })
    .sign(key.privateKey);
  const [header, , signature] = jws.split('.');
  const headers: Record<string, string> = {
    'hub-partner': key.partnerId,
    'hub-timestamp': String(timestamp),
    'hub-nonce': nonce,
    'hub-signature': `${header}..${signature}`,
  };
  if (request.idempotencyKey !== undefined) headers['idempotency-key'] = request.idempotencyKey;
  return headers;
}
