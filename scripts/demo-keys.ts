import { listPartnerKeys, type PublicJwk, registerPartnerKey } from '../partners/index.ts';
import type { Db } from '../platform/index.ts';

/**
 * The demo partner Jade Tea signs with the example key of docs/signing.md (and sdk/README.md),
 * so that both pages run against the demo hub as written. Its private half is printed in
 * those pages for everyone: a demo key, never one for a hub that moves real money.
 */
export const docsPartnerId = '0193a5f2-7c4e-7d2a-9b1e-5f3c2a1d4e60';
export const docsPartnerKey: PublicJwk = {
  kty: 'OKP',
  crv: 'Ed25519',
  x: 'pGSSMAYyblH_sdIZKzS7bZ4rukqk-G31gyOigqzKJ_M',
  kid: 'pos-2026-11',
};

/** Registers the docs' key for the partner unless it has a key of that kid already. */
export async function seedDocsKey(db: Db, partnerId: string): Promise<void> {
  const keys = await listPartnerKeys(db, partnerId);
  if (keys.some((k) => k.kid === docsPartnerKey.kid)) return;
  await registerPartnerKey(db, partnerId, docsPartnerKey);
}
