import { randomBytes } from 'node:crypto';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { type CryptoKey, exportJWK, generateKeyPair } from 'jose';
import type { HubEnv } from '../../gateway/index.ts';
import { createStaff } from '../../gateway/index.ts';
import { onboardPartner, type PublicJwk, registerPartnerKey } from '../../partners/index.ts';
import type { Partner } from '../../platform/index.ts';
import { type PartnerSigningKey, signPartnerRequest } from '../../sdk/index.ts';
import { fromAddress, someAddress } from './clients.ts';
import type { TestHub } from './hub.ts';

export type TestApp = OpenAPIHono<HubEnv>;

export function uniqueCode(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export async function staffToken(hub: TestHub, role: 'admin' | 'finance' = 'admin') {
  const { token } = await createStaff(hub.services.db, { name: uniqueCode(role), role });
  return token;
}

/** Calls the app as a staff member would: with the bearer token, or with none (null). */
export function staffClient(app: TestApp, token: string) {
  return (method: string, path: string, body?: unknown, as: string | null = token) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (as) headers.authorization = `Bearer ${as}`;
    return app.request(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  };
}

/** A fresh key pair; the public half as the hub would register it. */
export async function newKeyPair(
  alg: 'EdDSA' | 'ES256',
  kid: string,
): Promise<{ publicJwk: PublicJwk; privateKey: CryptoKey }> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  const publicJwk = (
    alg === 'EdDSA'
      ? { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid }
      : { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, kid }
  ) as PublicJwk;
  return { publicJwk, privateKey };
}

export type TestPartner = { partner: Partner; key: PartnerSigningKey };

export async function addSigningKey(
  hub: TestHub,
  partnerId: string,
  kid: string,
  alg: 'EdDSA' | 'ES256' = 'EdDSA',
): Promise<PartnerSigningKey> {
  const pair = await newKeyPair(alg, kid);
  await registerPartnerKey(hub.services.db, partnerId, pair.publicJwk);
  return { partnerId, kid, alg, privateKey: pair.privateKey };
}

/** An onboarded partner with one registered key, kid "main" (the same kid for every partner). */
export async function newTestPartner(
  hub: TestHub,
  options: { alg?: 'EdDSA' | 'ES256'; rateLimitPerMinute?: number } = {},
): Promise<TestPartner> {
  const partner = await onboardPartner(hub.services.db, {
    code: uniqueCode('p'),
    name: 'Test Partner Ltd.',
    brand: 'Test Brand',
    settlement: {
      bankAccountName: 'Test Partner Ltd.',
      bankAccountNumber: '6222000011112222',
      currency: 'CNY',
    },
    rateLimitPerMinute: options.rateLimitPerMinute,
  });
  return { partner, key: await addSigningKey(hub, partner.id, 'main', options.alg) };
}

export type SignedCall = {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  /** A body sent as is (text/csv) instead of JSON. */
  rawBody?: string;
  idempotencyKey?: string;
  /** Overrides for tampering: what is signed may differ from what is sent. */
  signedPath?: string;
  signedBody?: string;
  signedIdempotencyKey?: string;
  nonce?: string;
  timestamp?: number;
  /** Headers to replace after signing. */
  overrideHeaders?: Record<string, string>;
  /**
   * The client address the request comes from. By default a fresh one per call, so that the
   * many failures a test provokes on purpose do not add up to the per-address limit.
   */
  from?: string;
};

/** Signs with the SDK and sends through the app; returns the response. */
export async function signedFetch(
  hub: TestHub,
  app: TestApp,
  key: PartnerSigningKey,
  call: SignedCall,
): Promise<Response> {
  const body = call.rawBody ?? (call.body === undefined ? undefined : JSON.stringify(call.body));
  const headers = await signPartnerRequest(key, {
    method: call.method,
    pathWithQuery: call.signedPath ?? call.path,
    body: call.signedBody ?? body ?? '',
    idempotencyKey: call.signedIdempotencyKey ?? call.idempotencyKey,
    timestamp: call.timestamp ?? Math.floor(hub.services.clock.now().getTime() / 1000),
    nonce: call.nonce,
  });
  if (call.idempotencyKey !== undefined) headers['idempotency-key'] = call.idempotencyKey;
  else delete headers['idempotency-key'];
  if (body !== undefined)
    headers['content-type'] = call.rawBody === undefined ? 'application/json' : 'text/csv';
  Object.assign(headers, call.overrideHeaders);
  return app.request(
    call.path,
    { method: call.method, headers, body },
    fromAddress(call.from ?? someAddress()),
  );
}

export function idempotencyKey(): string {
  return `idem-${randomBytes(8).toString('hex')}`;
}
