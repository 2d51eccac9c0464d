import { generateKeyPairSync } from 'node:crypto';
import { CompactSign, compactVerify, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { type JwsAlgorithm, signCompactJws, verifyCompactJws } from '../../platform/index.ts';

// The hub's own compact JWS on node:crypto must agree with jose both ways, and refuse what
// jose refuses for the same key: another algorithm, extensions it does not implement.

const pairs = {
  EdDSA: generateKeyPairSync('ed25519'),
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
} as const;

function split(jws: string) {
  const [protectedHeader = '', payload = '', signature = ''] = jws.split('.');
  return { protectedHeader, payload, signature };
}

const payload = new TextEncoder().encode('hub-request-v1\nsigned bytes');

describe.each(['EdDSA', 'ES256'] as JwsAlgorithm[])('compact JWS with %s', (alg) => {
  const { publicKey, privateKey } = pairs[alg];

  it('verifies what jose signs, and jose verifies what it signs', async () => {
    const joseKey = await importJWK(privateKey.export({ format: 'jwk' }), alg);
    const byJose = await new CompactSign(payload)
      .setProtectedHeader({ alg, kid: 'k' })
      .sign(joseKey);
    expect(verifyCompactJws(split(byJose), alg, publicKey)).toBe(true);
    const ours = signCompactJws(payload, { kid: 'k' }, alg, privateKey);
    const verified = await compactVerify(
      ours,
      await importJWK(publicKey.export({ format: 'jwk' }), alg),
    );
    expect(new TextDecoder().decode(verified.payload)).toBe(new TextDecoder().decode(payload));
  });

  it('refuses another payload, another algorithm, and crit or b64 headers', () => {
    const good = split(signCompactJws(payload, { kid: 'k' }, alg, privateKey));
    expect(verifyCompactJws({ ...good, payload: `${good.payload}A` }, alg, publicKey)).toBe(false);
    const other: JwsAlgorithm = alg === 'EdDSA' ? 'ES256' : 'EdDSA';
    expect(verifyCompactJws(good, other, publicKey)).toBe(false);
    // Validly signed, but asking for extensions the hub does not implement.
    for (const header of [{ crit: ['exp'], exp: 1 }, { b64: false }]) {
      const signed = split(signCompactJws(payload, { kid: 'k', ...header }, alg, privateKey));
      expect(verifyCompactJws(signed, alg, publicKey)).toBe(false);
    }
    expect(verifyCompactJws({ ...good, protectedHeader: 'not-json' }, alg, publicKey)).toBe(false);
    expect(verifyCompactJws({ ...good, signature: 'AAAA' }, alg, publicKey)).toBe(false);
  });
});
