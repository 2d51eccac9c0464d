import { createPrivateKey, type JsonWebKey } from 'node:crypto';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import { databaseCache } from './cache.ts';
import type { Db } from './db.ts';
import { signCompactJws } from './jws.ts';

/**
 * The hub's own signing keys: Ed25519, one active at a time. Rotation makes a new key active
 * and leaves the previous one "retiring": still published in the JWKS, so receipts and
 * sessions it signed keep verifying, until it is retired.
 */

const alg = 'EdDSA';
/** How long a process trusts its cached view of the keys before reading them again. */
const cacheTtlMs = 60_000;

async function generateHubKey(): Promise<{ kid: string; publicJwk: JWK; privateJwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair(alg, {
    crv: 'Ed25519',
    extractable: true,
  });
  const publicJwk = await exportJWK(publicKey);
  const kid = `hub-${(await calculateJwkThumbprint(publicJwk)).slice(0, 16)}`;
  return {
    kid,
    publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg },
  };
}

/** Makes sure an active key exists (first start); safe when several processes race. */
export async function ensureHubKey(db: Db): Promise<void> {
  const active = await db
    .selectFrom('hub_keys')
    .select('kid')
    .where('status', '=', 'active')
    .executeTakeFirst();
  if (active) return;
  const key = await generateHubKey();
  await db
    .insertInto('hub_keys')
    .values({
      kid: key.kid,
      alg,
      public_jwk: { ...key.publicJwk },
      private_jwk: { ...key.privateJwk },
      status: 'active',
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** A new active key; the old one keeps verifying (retiring) until retireHubKey. */
export async function rotateHubKey(db: Db): Promise<string> {
  const key = await generateHubKey();
  await db.transaction().execute(async (tx) => {
    await tx
      .updateTable('hub_keys')
      .set({ status: 'retiring' })
      .where('status', '=', 'active')
      .execute();
    await tx
      .insertInto('hub_keys')
      .values({
        kid: key.kid,
        alg,
        public_jwk: { ...key.publicJwk },
        private_jwk: { ...key.privateJwk },
        status: 'active',
      })
      .execute();
  });
  return key.kid;
}

/** Takes a retiring key out of the JWKS; whether there was such a key. */
export async function retireHubKey(db: Db, kid: string, at: Date): Promise<boolean> {
  const { numUpdatedRows } = await db
    .updateTable('hub_keys')
    .set({ status: 'retired', retired_at: at })
    .where('kid', '=', kid)
    .where('status', '=', 'retiring')
    .executeTakeFirst();
  return numUpdatedRows > 0n;
}

export async function hubJwks(db: Db): Promise<JSONWebKeySet> {
  const rows = await db
    .selectFrom('hub_keys')
    .select('public_jwk')
    .where('status', 'in', ['active', 'retiring'])
    .orderBy('created_at', 'desc')
    .execute();
  return { keys: rows.map((r) => r.public_jwk as JWK) };
}

export type HubSigner = {
  /** A compact JWS over the payload bytes, with the active key's kid. */
  signCompact(payload: Uint8Array, header?: Record<string, unknown>): Promise<string>;
  signJwt(
    claims: JWTPayload,
    options: { subject: string; audience: string; expiresInSeconds: number; now: Date },
  ): Promise<string>;
  verifyJwt(token: string, options: { audience: string; now: Date }): Promise<JWTPayload>;
  jwks(): Promise<JSONWebKeySet>;
};

/** Keys are cached in process so that signing and verifying add no database round trip. */
export function createHubSigner(db: Db): HubSigner {
  // One cache per signer (a new signer sees a rotation at once); concurrent misses share a load.
  const keys = databaseCache({
    ttlMs: cacheTtlMs,
    max: 1,
    load: async () => {
      await ensureHubKey(db);
      const active = await db
        .selectFrom('hub_keys')
        .select(['kid', 'private_jwk'])
        .where('status', '=', 'active')
        .executeTakeFirstOrThrow();
      const privateKey = (await importJWK(active.private_jwk as JWK, alg)) as CryptoKey;
      // Receipts are signed on node:crypto, the hot path's signer (platform/jws.ts).
      const receiptKey = createPrivateKey({
        key: active.private_jwk as JsonWebKey,
        format: 'jwk',
      });
      return { kid: active.kid, privateKey, receiptKey, jwks: await hubJwks(db) };
    },
  });
  const load = () => keys.get(db, 'active');
  return {
    signCompact: async (payload, header = {}) => {
      const key = await load();
      return signCompactJws(payload, { ...header, kid: key.kid }, alg, key.receiptKey);
    },
    signJwt: async (claims, options) => {
      const key = await load();
      const iat = Math.floor(options.now.getTime() / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg, kid: key.kid, typ: 'JWT' })
        .setSubject(options.subject)
        .setAudience(options.audience)
        .setIssuer('alliance-hub')
        .setIssuedAt(iat)
        .setExpirationTime(iat + options.expiresInSeconds)
        .sign(key.privateKey);
    },
    verifyJwt: async (token, options) => {
      const key = await load();
      const { payload } = await jwtVerify(token, createLocalJWKSet(key.jwks), {
        algorithms: [alg],
        issuer: 'alliance-hub',
        audience: options.audience,
        currentDate: options.now,
      });
      return payload;
    },
    jwks: async () => (await load()).jwks,
  };
}
