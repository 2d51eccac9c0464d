import { exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import type { SignInMessage } from '../../members/index.ts';
import { createLogger, openServices, redisKey, type Services } from '../../platform/index.ts';
import type { PartnerSigningKey } from '../../sdk/index.ts';
import { type CounterFixture, counterFixture } from '../support/counter.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { memberPost } from '../support/members.ts';
import {
  idempotencyKey,
  newKeyPair,
  newTestPartner,
  signedFetch,
  staffClient,
  staffToken,
  type TestApp,
  type TestPartner,
  uniqueCode,
} from '../support/partners.ts';

/**
 * Realistic flows of every audience, good and failing, through a hub whose logger runs at its
 * most verbose level into memory; then none of the secrets it handled may be in the log.
 */
const logLines: string[] = [];
const secrets = new Map<string, string>();
const sentCodes: SignInMessage[] = [];

let hub: TestHub;
let services: Services;
let app: TestApp;
let partner: TestPartner;
let counter: CounterFixture;

beforeAll(async () => {
  hub = await createTestHub();
  const logger = createLogger('trace', {}, { write: (line: string) => void logLines.push(line) });
  services = await openServices(hub.config, { logger });
  app = createApp(services, {
    signInSender: { send: async (message) => void sentCodes.push(message) },
  });
  partner = await newTestPartner(hub);
  counter = await counterFixture(hub, partner.partner.id, { members: 1, points: 10_000 });
  const hubKey = await hub.services.db
    .selectFrom('hub_keys')
    .select('private_jwk')
    .executeTakeFirst();
  const hubD = (hubKey?.private_jwk as { d?: string } | undefined)?.d;
  if (hubD) secrets.set('hub private key', hubD);
  secrets.set('partner private key', await privatePart(partner.key));
});
afterAll(async () => {
  await services.close();
  await hub.close();
});

async function privatePart(key: PartnerSigningKey): Promise<string> {
  const { d } = await exportJWK(key.privateKey);
  if (!d) throw new Error('the test key is not extractable');
  return d;
}

function post(path: string, body: unknown, token?: string) {
  return memberPost(app, path, body, token);
}

function get(path: string, token: string) {
  return app.request(path, { headers: { authorization: `Bearer ${token}` } });
}

/** An admin registers the partner's till key through the API; the till signs with it. */
async function registerTillKey(admin: ReturnType<typeof staffClient>): Promise<PartnerSigningKey> {
  const pair = await newKeyPair('ES256', 'till-2');
  const registered = await admin('POST', `/v1/admin/partners/${partner.partner.id}/keys`, {
    jwk: pair.publicJwk,
  });
  expect(registered.status).toBe(201);
  const key = { partnerId: partner.partner.id, kid: 'till-2', alg: 'ES256' as const, ...pair };
  secrets.set('till private key', await privatePart(key));
  // A private key sent by mistake is refused, and its secret half is logged nowhere.
  const careless = await newKeyPair('EdDSA', 'careless');
  const privateJwk = { ...(await exportJWK(careless.privateKey)), kid: 'careless' };
  secrets.set('careless private key', privateJwk.d ?? '');
  const refused = await admin('POST', `/v1/admin/partners/${partner.partner.id}/keys`, {
    jwk: privateJwk,
  });
  expect(refused.status).toBe(400);
  return key;
}

async function staffFlows(): Promise<PartnerSigningKey> {
  const token = await staffToken({ ...hub, services });
  secrets.set('staff token', token);
  const admin = staffClient(app, token);
  expect((await admin('GET', '/v1/admin/partners')).status).toBe(200);
  expect((await admin('GET', '/v1/admin/partners', undefined, `${token}x`)).status).toBe(401);
  return registerTillKey(admin);
}

async function memberSignIn(email: string): Promise<string> {
  expect((await post('/v1/member/sign-in/code', { email })).status).toBe(202);
  const code = sentCodes.at(-1)?.code ?? '';
  secrets.set('sign-in code', code);
  const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  expect((await post('/v1/member/sign-in/session', { email, code: wrong })).status).toBe(401);
  const session = await post('/v1/member/sign-in/session', { email, code });
  expect(session.status).toBe(200);
  const { token } = (await session.json()) as { token: string };
  secrets.set('member session', token);
  expect((await get('/v1/me', token)).status).toBe(200);
  expect((await get('/v1/me', `${token.slice(0, -4)}AAAA`)).status).toBe(401);
  return token;
}

async function payAtCounter(session: string, till: PartnerSigningKey): Promise<void> {
  const issued = await post('/v1/me/pay-codes', {}, session);
  expect(issued.status).toBe(201);
  const { code } = (await issued.json()) as { code: string };
  secrets.set('pay code', code);
  const authorise = (payCode: string, overrideHeaders?: Record<string, string>) =>
    signedFetch(hub, app, till, {
      method: 'POST',
      path: '/v1/partner/redemptions/authorise',
      // Not the fixture's redemption(): it would ask for a new code, voiding this one.
      body: {
        payCode,
        storeCode: counter.storeCode,
        orderId: uniqueCode('R'),
        orderAmountMinor: 10_000,
        points: 100,
      },
      idempotencyKey: idempotencyKey(),
      overrideHeaders,
    });
  const forged = await authorise(code, { 'hub-signature': 'eyJhbGciOiJFUzI1NiJ9..AAAA' });
  expect(forged.status).toBe(401);
  expect((await authorise(code)).status).toBe(200);
  expect((await authorise(code)).status).toBe(422); // used once
}

/** A Redis command that fails mid-request: its error carries the command's arguments. */
async function failingPayCode(session: string, memberId: string): Promise<void> {
  const current = redisKey(hub.config, 'paycode-member', memberId);
  await services.redis.del(current);
  await services.redis.hset(current, 'not', 'a string');
  const res = await post('/v1/me/pay-codes', {}, session);
  expect(res.status).toBeGreaterThanOrEqual(500);
  await services.redis.del(current);
  // Every page of the scan: the keys of other test files share this Redis.
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, page] = await services.redis.scan(
      cursor,
      'MATCH',
      redisKey(hub.config, 'paycode', '*'),
      'COUNT',
      1000,
    );
    keys.push(...page);
    cursor = next;
  } while (cursor !== '0');
  for (const key of keys) secrets.set(`pay code ${key}`, key.split(':').at(-1) ?? '');
  expect(keys.length).toBeGreaterThan(0);
}

describe('secrets in logs', () => {
  it('never holds a sign-in code, pay code, session, staff token or private key', async () => {
    const till = await staffFlows();
    const member = counter.members[0];
    if (!member) throw new Error('no member');
    const session = await memberSignIn(`${member.customerId.toLowerCase()}@example.test`);
    await payAtCounter(session, till);
    await failingPayCode(session, member.memberId);

    const log = logLines.join('');
    expect(log).toContain('partner key registered'); // the log was captured
    const found = [...secrets].filter(([, secret]) => {
      const digitsOnly = /^[0-9]+$/.test(secret);
      return digitsOnly
        ? new RegExp(`(?<![0-9])${secret}(?![0-9])`).test(log)
        : log.includes(secret);
    });
    expect(secrets.size).toBeGreaterThanOrEqual(8);
    expect(found.map(([name]) => name)).toEqual([]);
  });
});
