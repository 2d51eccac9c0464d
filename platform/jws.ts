import { type KeyObject, sign, verify } from 'node:crypto';

/**
 * Compact JWS (RFC 7515) signing and verification on node:crypto, for the hub's two hot uses:
 * checking every partner request's signature and signing every money-moving answer's receipt.
 * jose does the same through WebCrypto, whose every call is an asynchronous job: measured on
 * the counter path at about 0.5 ms of CPU per request for one Ed25519 verify and one sign,
 * against about 0.1 ms here (BENCHMARKS.md). jose still does everything else (keys, JWKS,
 * JWTs, and the SDK), and the tests verify what this signs with jose.
 */

export type JwsAlgorithm = 'EdDSA' | 'ES256';

function signatureOptions(alg: JwsAlgorithm, key: KeyObject) {
  // JWS carries ECDSA signatures as raw r||s, not DER.
  return alg === 'ES256'
    ? { algorithm: 'sha256', key: { key, dsaEncoding: 'ieee-p1363' as const } }
    : { algorithm: null, key };
}

/** A compact JWS over `payload`, with `header` and the algorithm in its protected header. */
export function signCompactJws(
  payload: Uint8Array,
  header: Record<string, unknown>,
  alg: JwsAlgorithm,
  key: KeyObject,
): string {
  const protectedHeader = Buffer.from(JSON.stringify({ ...header, alg })).toString('base64url');
  const input = `${protectedHeader}.${Buffer.from(payload).toString('base64url')}`;
  const { algorithm, key: signingKey } = signatureOptions(alg, key);
  return `${input}.${sign(algorithm, Buffer.from(input), signingKey).toString('base64url')}`;
}

/**
 * Whether `signature` (base64url) signs `protectedHeader.payload` (both base64url, as sent)
 * with `key` under exactly `alg`: a header naming another algorithm, or asking for extensions
 * the hub does not implement (crit, b64), is refused like a wrong signature.
 */
export function verifyCompactJws(
  parts: { protectedHeader: string; payload: string; signature: string },
  alg: JwsAlgorithm,
  key: KeyObject,
): boolean {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(parts.protectedHeader, 'base64url').toString('utf8'));
  } catch {
    return false;
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return false;
  const h = header as Record<string, unknown>;
  if (h.alg !== alg || 'crit' in h || 'b64' in h) return false;
  const { algorithm, key: verifyingKey } = signatureOptions(alg, key);
  try {
    return verify(
      algorithm,
      Buffer.from(`${parts.protectedHeader}.${parts.payload}`),
      verifyingKey,
      Buffer.from(parts.signature, 'base64url'),
    );
  } catch {
    return false;
  }
}
