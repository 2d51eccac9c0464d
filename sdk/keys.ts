import { createPrivateKey } from 'node:crypto';
import { type CryptoKey, importJWK, importPKCS8, type JWK } from 'jose';
import type { PartnerSigningKey } from './signing.ts';

/** A partner's private key as it comes: PKCS#8 PEM text, a private JWK, or a CryptoKey. */
export type PrivateKeyInput = string | JWK | CryptoKey;

function isCryptoKey(key: PrivateKeyInput): key is CryptoKey {
  return typeof key === 'object' && 'algorithm' in key && 'type' in key;
}

/**
 * The signing key for a partner's requests; the algorithm follows from the key (Ed25519:
 * EdDSA, P-256: ES256), as the hub fixed it when the public half was registered.
 */
export async function importSigningKey(
  partnerId: string,
  kid: string,
  key: PrivateKeyInput,
): Promise<PartnerSigningKey> {
  if (isCryptoKey(key)) {
    const alg = key.algorithm.name === 'Ed25519' ? 'EdDSA' : 'ES256';
    return { partnerId, kid, alg, privateKey: key };
  }
  if (typeof key === 'string') {
    const type = createPrivateKey(key).asymmetricKeyType;
    if (type !== 'ed25519' && type !== 'ec') throw new Error(`unsupported key type ${type}`);
    const alg = type === 'ed25519' ? 'EdDSA' : 'ES256';
    return { partnerId, kid, alg, privateKey: await importPKCS8(key, alg) };
  }
  if (key.kty !== 'OKP' && key.kty !== 'EC') throw new Error(`unsupported JWK kty ${key.kty}`);
  const alg = key.kty === 'OKP' ? 'EdDSA' : 'ES256';
  return { partnerId, kid, alg, privateKey: (await importJWK(key, alg)) as CryptoKey };
}
