import { createHash } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { AppError, isUuid, type Services, verifyCompactJws } from '../platform/index.ts';
import { type VerifyingPartner, verifyingPartner } from './keys.ts';
import { admitPartnerRequest } from './rate-limit.ts';

/**
 * Verification of signed partner requests (docs/signing.md is the specification). The
 * partner signs a canonical signing string with a detached-payload compact JWS; the hub
 * rebuilds the string from what it received, so any change to the method, path, query,
 * timestamp, nonce, Idempotency-Key or body bytes breaks the signature.
 */

export const signingScheme = 'hub-request-v1';
/** How far a request's timestamp may be from the hub's clock, either way. */
export const timestampToleranceSeconds = 300;
/**
 * A nonce is remembered for longer than a timestamp can stay acceptable (up to the tolerance
 * in the future plus the tolerance in the past), so a replay is refused for as long as its
 * timestamp would pass.
 */
export const nonceTtlSeconds = 2 * timestampToleranceSeconds + 60;

export const signatureHeaderNames = {
  partner: 'hub-partner',
  timestamp: 'hub-timestamp',
  nonce: 'hub-nonce',
  signature: 'hub-signature',
  idempotencyKey: 'idempotency-key',
} as const;

export type SignedRequest = {
  method: string;
  /** Path and query exactly as sent, e.g. /v1/partner/stores?limit=5 */
  pathWithQuery: string;
  headers: (name: string) => string | undefined;
  /** bodyDigest of the exact body bytes: the caller keeps it for the idempotency layer too. */
  bodyDigest: string;
};

export type SigningInput = {
  partnerId: string;
  method: string;
  pathWithQuery: string;
  timestamp: string;
  nonce: string;
  idempotencyKey: string;
  bodyDigest: string;
};

/** base64url (no padding) of the SHA-256 of the exact body bytes. */
export function bodyDigest(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('base64url');
}

/** The bytes the partner signs: one field per line, "\n" between them, no final newline. */
export function signingString(input: SigningInput): string {
  return [
    signingScheme,
    input.partnerId,
    input.method.toUpperCase(),
    input.pathWithQuery,
    input.timestamp,
    input.nonce,
    input.idempotencyKey,
    input.bodyDigest,
  ].join('\n');
}

const noncePattern = /^[A-Za-z0-9_-]{16,128}$/;
const detachedJwsPattern = /^([A-Za-z0-9_-]+)\.\.([A-Za-z0-9_-]+)$/;

function refuse(detail: string): AppError {
  return new AppError('signature_invalid', detail);
}

function readHeaders(request: SignedRequest) {
  const h = signatureHeaderNames;
  const partnerId = request.headers(h.partner);
  const timestamp = request.headers(h.timestamp);
  const nonce = request.headers(h.nonce);
  const signature = request.headers(h.signature);
  if (!partnerId || !timestamp || !nonce || !signature) {
    throw new AppError(
      'unauthenticated',
      'Signed requests carry Hub-Partner, Hub-Timestamp, Hub-Nonce and Hub-Signature headers.',
    );
  }
  if (!isUuid(partnerId)) throw refuse('Hub-Partner is not a partner id.');
  if (!/^\d{1,12}$/.test(timestamp)) throw refuse('Hub-Timestamp is not Unix seconds.');
  if (!noncePattern.test(nonce)) throw refuse('Hub-Nonce must be 16 to 128 of A-Z a-z 0-9 _ -.');
  const jws = detachedJwsPattern.exec(signature);
  if (!jws?.[1] || !jws[2]) throw refuse('Hub-Signature is not a detached compact JWS.');
  return { partnerId, timestamp, nonce, protectedHeader: jws[1], signature: jws[2] };
}

/** The kid a verified request was signed with (its Hub-Signature's protected header). */
export function signingKid(signature: string): string {
  return kidOf(signature.split('.')[0] ?? '');
}

function kidOf(protectedHeader: string): string {
  try {
    const header = decodeProtectedHeader(`${protectedHeader}..`);
    if (typeof header.kid === 'string' && header.kid.length > 0) return header.kid;
  } catch {
    // fall through: an unreadable header is refused like a header without a kid
  }
  throw refuse('The JWS protected header must name the key with "kid".');
}

/**
 * Checks who signed the request; returns the partner only if the signature is good, the key
 * active, the nonce new and the partner within its rate limit. The nonce and the limit are
 * one Redis round trip, taken last, so that unsigned noise can neither burn nonces nor use up
 * a partner's limit.
 */
export async function verifyPartnerRequest(
  services: Services,
  request: SignedRequest,
): Promise<VerifyingPartner> {
  const parts = readHeaders(request);
  const nowSeconds = Math.floor(services.clock.now().getTime() / 1000);
  if (Math.abs(nowSeconds - Number(parts.timestamp)) > timestampToleranceSeconds) {
    throw refuse(`Hub-Timestamp is more than ${timestampToleranceSeconds} s from the hub's clock.`);
  }
  const kid = kidOf(parts.protectedHeader);
  const partner = await verifyingPartner(services.db, parts.partnerId, kid);
  const key = partner?.keys.get(kid);
  if (!partner || !key) throw refuse('Unknown or revoked key for this partner.');

  const payload = signingString({
    partnerId: parts.partnerId,
    method: request.method,
    pathWithQuery: request.pathWithQuery,
    timestamp: parts.timestamp,
    nonce: parts.nonce,
    idempotencyKey: request.headers(signatureHeaderNames.idempotencyKey) ?? '',
    bodyDigest: request.bodyDigest,
  });
  const encoded = Buffer.from(payload, 'utf8').toString('base64url');
  // The algorithm comes from the stored key; a header naming another one fails here.
  const signed = verifyCompactJws(
    { protectedHeader: parts.protectedHeader, payload: encoded, signature: parts.signature },
    key.alg,
    key.key,
  );
  if (!signed) throw refuse('The signature does not match the request.');
  if (partner.status !== 'active') throw new AppError('forbidden', 'The partner is suspended.');
  await admitPartnerRequest(services, partner, {
    value: parts.nonce,
    ttlSeconds: nonceTtlSeconds,
  });
  return partner;
}
