import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { importJWK, type JWK } from 'jose';
import { z } from 'zod';
import { AppError, type Db, databaseCache, type PartnerKey } from '../platform/index.ts';

/**
 * Partners' public signing keys. Only EdDSA over Ed25519 (OKP) and ES256 over P-256 (EC) are
 * accepted, and the algorithm is fixed by the key type when it is registered: verification
 * takes it from here, never from the request.
 */

export type KeyAlgorithm = 'EdDSA' | 'ES256';

const b64url32 = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'base64url of 32 bytes');
const kidSchema = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, '1 to 64 of A-Z a-z 0-9 . _ -');

const common = {
  kid: kidSchema,
  use: z.literal('sig').optional(),
  // Present at all means a private key was sent: refused, whatever its value.
  d: z
    .unknown()
    .refine(() => false, 'private keys are refused: register the public key only')
    .optional(),
};

export const PublicJwkSchema = z.discriminatedUnion('kty', [
  z.object({
    ...common,
    kty: z.literal('OKP'),
    crv: z.literal('Ed25519'),
    x: b64url32,
    alg: z.enum(['EdDSA', 'Ed25519']).optional(),
  }),
  z.object({
    ...common,
    kty: z.literal('EC'),
    crv: z.literal('P-256'),
    x: b64url32,
    y: b64url32,
    alg: z.literal('ES256').optional(),
  }),
]);
export type PublicJwk = z.infer<typeof PublicJwkSchema>;

export function algorithmOf(jwk: PublicJwk): KeyAlgorithm {
  return jwk.kty === 'OKP' ? 'EdDSA' : 'ES256';
}

/** The key as the hub stores and publishes it: public members only, nothing passed through. */
function canonicalJwk(jwk: PublicJwk): JWK {
  const alg = algorithmOf(jwk);
  return jwk.kty === 'OKP'
    ? { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: jwk.kid, alg, use: 'sig' }
    : { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, kid: jwk.kid, alg, use: 'sig' };
}

/** Checks a public key as WebCrypto would import it (a point off the curve is refused). */
async function checkPublicKey(jwk: JWK, alg: KeyAlgorithm): Promise<void> {
  await importJWK(jwk, alg);
}

/** The key as request verification uses it (node:crypto; see platform/jws.ts). */
function verifyingKey(jwk: JWK): KeyObject {
  return createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
}

export async function registerPartnerKey(
  db: Db,
  partnerId: string,
  jwk: PublicJwk,
): Promise<PartnerKey> {
  const stored = canonicalJwk(jwk);
  const alg = algorithmOf(jwk);
  try {
    // A point that is not on the curve fails here, before anything is stored.
    await checkPublicKey(stored, alg);
    verifyingKey(stored);
  } catch {
    throw new AppError('validation_failed', 'The key is not a valid public key.', {
      fields: [{ field: 'jwk', reason: 'not a valid public key' }],
    });
  }
  const inserted = await db
    .insertInto('partner_keys')
    .values({ partner_id: partnerId, kid: jwk.kid, alg, public_jwk: { ...stored } })
    .onConflict((oc) => oc.columns(['partner_id', 'kid']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!inserted) {
    // A kid names one key forever, even after revocation: signatures stay attributable.
    throw new AppError('conflict', `The partner already has a key "${jwk.kid}".`, {
      fields: [{ field: 'jwk.kid', reason: 'already taken' }],
    });
  }
  invalidatePartnerCache(db, partnerId);
  return inserted;
}

export async function listPartnerKeys(db: Db, partnerId: string): Promise<PartnerKey[]> {
  return db
    .selectFrom('partner_keys')
    .selectAll()
    .where('partner_id', '=', partnerId)
    .orderBy('created_at')
    .limit(100)
    .execute();
}

export async function revokePartnerKey(
  db: Db,
  partnerId: string,
  kid: string,
  at: Date,
): Promise<PartnerKey> {
  const revoked = await db
    .updateTable('partner_keys')
    .set({ status: 'revoked', revoked_at: at })
    .where('partner_id', '=', partnerId)
    .where('kid', '=', kid)
    .where('status', '=', 'active')
    .returningAll()
    .executeTakeFirst();
  invalidatePartnerCache(db, partnerId);
  if (revoked) return revoked;
  const existing = await db
    .selectFrom('partner_keys')
    .selectAll()
    .where('partner_id', '=', partnerId)
    .where('kid', '=', kid)
    .executeTakeFirst();
  if (!existing) throw new AppError('not_found', 'No such key.');
  return existing;
}

/** What request verification needs of a partner, held in process between reloads. */
export type VerifyingPartner = {
  id: string;
  code: string;
  status: 'active' | 'suspended';
  rateLimitPerMinute: number | null;
  keys: Map<string, { alg: KeyAlgorithm; key: KeyObject }>;
};

/**
 * How long a process trusts its copy of a partner's keys and status. A revocation or
 * suspension made by this process applies at once; one made by another process applies
 * within this bound.
 */
export const keyCacheTtlMs = 15_000;
/** An unknown kid reloads the partner at most this often, so garbage kids cannot flood the db. */
const unknownKidReloadMs = 1_000;

type Loaded = { loadedAtMs: number; partner: VerifyingPartner | undefined };

const verifyingPartners = databaseCache<Loaded>({
  ttlMs: keyCacheTtlMs,
  max: 10_000,
  load: async (db, partnerId) => {
    const loadedAtMs = Date.now();
    return { loadedAtMs, partner: await loadVerifyingPartner(db, partnerId) };
  },
});

export function invalidatePartnerCache(db: Db, partnerId: string): void {
  verifyingPartners.invalidate(db, partnerId);
}

async function loadVerifyingPartner(
  db: Db,
  partnerId: string,
): Promise<VerifyingPartner | undefined> {
  const [partner, rows] = await Promise.all([
    db
      .selectFrom('partners')
      .select(['id', 'code', 'status', 'rate_limit_per_minute'])
      .where('id', '=', partnerId)
      .executeTakeFirst(),
    db
      .selectFrom('partner_keys')
      .select(['kid', 'alg', 'public_jwk'])
      .where('partner_id', '=', partnerId)
      .where('status', '=', 'active')
      .execute(),
  ]);
  if (!partner) return undefined;
  const keys = new Map<string, { alg: KeyAlgorithm; key: KeyObject }>();
  for (const row of rows) {
    keys.set(row.kid, { alg: row.alg, key: verifyingKey(row.public_jwk as JWK) });
  }
  return {
    id: partner.id,
    code: partner.code,
    status: partner.status,
    rateLimitPerMinute: partner.rate_limit_per_minute,
    keys,
  };
}

/** The partner and its active keys, from the process cache in the steady state. */
export async function verifyingPartner(
  db: Db,
  partnerId: string,
  kid: string,
): Promise<VerifyingPartner | undefined> {
  const loaded = await verifyingPartners.get(db, partnerId);
  if (loaded.partner?.keys.has(kid) || Date.now() - loaded.loadedAtMs < unknownKidReloadMs) {
    return loaded.partner;
  }
  // A kid this copy does not know may have been registered since it was loaded.
  verifyingPartners.invalidate(db, partnerId);
  return (await verifyingPartners.get(db, partnerId)).partner;
}
