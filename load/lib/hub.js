// Signing partner requests for k6 (docs/signing.md), on plain WebCrypto: k6 (1.x) and Node
// both provide crypto.subtle, so the hub's test suite checks this file against a real hub.
// ES256 only: k6's WebCrypto signs ECDSA P-256; the signature is raw r||s, as JWS wants.

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** @param {Uint8Array} bytes */
export function base64url(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += alphabet[(n >> 18) & 63] + alphabet[(n >> 12) & 63];
    if (i + 1 < bytes.length) out += alphabet[(n >> 6) & 63];
    if (i + 2 < bytes.length) out += alphabet[n & 63];
  }
  return out;
}

/** @param {string} text */
export function utf8(text) {
  /** @type {number[]} */
  const bytes = [];
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 0x80) bytes.push(c);
    else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else
      bytes.push(
        0xf0 | (c >> 18),
        0x80 | ((c >> 12) & 63),
        0x80 | ((c >> 6) & 63),
        0x80 | (c & 63),
      );
  }
  return new Uint8Array(bytes);
}

/**
 * The partner's private P-256 JWK (with d) as a signing key.
 * @param {Record<string, unknown>} privateJwk
 */
export function importSigningKey(privateJwk) {
  return crypto.subtle.importKey('jwk', privateJwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
  ]);
}

function randomToken() {
  return base64url(crypto.getRandomValues(new Uint8Array(18)));
}

/**
 * Headers for one signed request; `body` is the exact text that will be sent.
 * @param {CryptoKey} key
 * @param {{ id: string, kid: string }} partner
 * @param {{ method: string, path: string, body?: string, idempotencyKey?: string }} request
 * @returns {Promise<Record<string, string>>}
 */
export async function signRequest(key, partner, request) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomToken();
  const idempotencyKey = request.idempotencyKey ?? '';
  const digest = base64url(
    new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(request.body ?? ''))),
  );
  const signingString = [
    'hub-request-v1',
    partner.id,
    request.method.toUpperCase(),
    request.path,
    timestamp,
    nonce,
    idempotencyKey,
    digest,
  ].join('\n');
  const header = base64url(utf8(JSON.stringify({ alg: 'ES256', kid: partner.kid })));
  const input = `${header}.${base64url(utf8(signingString))}`;
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, utf8(input));
  /** @type {Record<string, string>} */
  const headers = {
    'hub-partner': partner.id,
    'hub-timestamp': timestamp,
    'hub-nonce': nonce,
    'hub-signature': `${header}..${base64url(new Uint8Array(signature))}`,
  };
  if (request.idempotencyKey !== undefined) headers['idempotency-key'] = request.idempotencyKey;
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  return headers;
}

export function newKey() {
  return `k6-${randomToken()}`;
}
