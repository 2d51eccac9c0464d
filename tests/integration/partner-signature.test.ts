import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import { enrolAtPartner } from '../../members/index.ts';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  fanOutEvents,
  getPartnerStore,
  listStores,
  listWebhookDeliveries,
  listWebhookEndpoints,
  revokePartnerKey,
  updatePartner,
} from '../../partners/index.ts';
import { manualClock, newId, recordEvent } from '../../platform/index.ts';
import { type CounterFixture, counterFixture } from '../support/counter.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import {
  addSigningKey,
  idempotencyKey,
  newKeyPair,
  newTestPartner,
  type SignedCall,
  signedFetch,
  type TestApp,
  type TestPartner,
  uniqueCode,
} from '../support/partners.ts';

/**
 * Every signature failure against every signed route. To cover a new signed route, add one
 * line to signedRoutes: its method, path, a fresh body and the status of a good call.
 */
type SignedRoute = {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  okStatus: number;
  /** A fresh body (and, for routes about one resource, its path), made just before the call. */
  body?: () => unknown;
  rawBody?: () => string;
  prepare?: () => Promise<{ path?: string; body?: unknown }>;
};

let counter: CounterFixture;

/** A computed settlement period (with no lines) for the statements route. */
const periodId = newId();

const signedRoutes: SignedRoute[] = [
  { method: 'GET', path: '/v1/partner/me', okStatus: 200 },
  { method: 'GET', path: '/v1/partner/statements', okStatus: 200 },
  { method: 'GET', path: `/v1/partner/statements/${periodId}`, okStatus: 200 },
  { method: 'GET', path: `/v1/partner/statements/${periodId}?format=csv`, okStatus: 200 },
  {
    method: 'POST',
    path: `/v1/partner/reconciliations/${periodId}`,
    okStatus: 200,
    rawBody: () => `order_id,kind,points,amount_minor\n${uniqueCode('o')},redemption,1,0\n`,
  },
  { method: 'GET', path: '/v1/partner/stores', okStatus: 200 },
  { method: 'GET', path: '/v1/partner/rules', okStatus: 200 },
  {
    method: 'POST',
    path: '/v1/partner/stores',
    okStatus: 201,
    body: () => ({ code: uniqueCode('S'), name: 'Counter store' }),
  },
  {
    method: 'POST',
    path: '/v1/partner/members',
    okStatus: 200,
    body: () => ({
      customerId: uniqueCode('C'),
      email: `${uniqueCode('e').toLowerCase()}@example.test`,
    }),
  },
  {
    method: 'GET',
    path: '/v1/partner/members',
    okStatus: 200,
    prepare: async () => ({
      path: `/v1/partner/members?customerId=${counter.members[0]?.customerId}`,
    }),
  },
  {
    method: 'POST',
    path: '/v1/partner/members/{memberId}/link',
    okStatus: 200,
    prepare: async () => {
      // A member of another brand, not yet linked to this partner.
      const customerId = uniqueCode('B');
      const { member } = await enrolAtPartner(hub.services, {
        partnerId: bob.partner.id,
        partnerCustomerId: customerId,
        email: `${customerId.toLowerCase()}@example.test`,
      });
      return {
        path: `/v1/partner/members/${member.id}/link`,
        body: { customerId: uniqueCode('L') },
      };
    },
  },
  { method: 'GET', path: '/v1/partner/benefits', okStatus: 200 },
  {
    method: 'POST',
    path: '/v1/partner/benefits',
    okStatus: 201,
    body: () => ({
      code: uniqueCode('b'),
      title: 'Gift wrap',
      kind: 'service_perk',
      params: { perk: 'Gift wrap' },
    }),
  },
  {
    method: 'POST',
    path: '/v1/partner/benefits/{benefitId}/withdraw',
    okStatus: 200,
    prepare: async () => ({
      path: `/v1/partner/benefits/${await publishedBenefit()}/withdraw`,
    }),
  },
  {
    method: 'POST',
    path: '/v1/partner/benefit-uses',
    okStatus: 200,
    prepare: async () => ({
      body: {
        member: { customerId: counter.members[0]?.customerId },
        benefitId: await publishedBenefit(),
      },
    }),
  },
  { method: 'POST', path: '/v1/partner/accruals', okStatus: 200, body: () => counter.purchase() },
  {
    method: 'POST',
    path: '/v1/partner/activities',
    okStatus: 200,
    body: () => ({
      member: { customerId: counter.members[0]?.customerId },
      kind: 'review',
      activityId: uniqueCode('a'),
      occurredAt: hub.services.clock.now().toISOString(),
    }),
  },
  {
    method: 'POST',
    path: '/v1/partner/accruals/batch',
    okStatus: 200,
    body: () => ({ purchases: [counter.purchase(), counter.purchase()] }),
  },
  {
    method: 'POST',
    path: '/v1/partner/redemptions/authorise',
    okStatus: 200,
    prepare: async () => ({ body: await counter.redemption() }),
  },
  {
    method: 'POST',
    path: '/v1/partner/redemptions',
    okStatus: 200,
    prepare: async () => ({ body: await counter.redemption() }),
  },
  {
    method: 'POST',
    path: '/v1/partner/redemptions/{holdId}/capture',
    okStatus: 200,
    prepare: async () => ({
      path: `/v1/partner/redemptions/${await counter.authorise()}/capture`,
      body: {},
    }),
  },
  {
    method: 'POST',
    path: '/v1/partner/redemptions/{holdId}/void',
    okStatus: 200,
    prepare: async () => ({ path: `/v1/partner/redemptions/${await counter.authorise()}/void` }),
  },
  { method: 'GET', path: '/v1/partner/keys', okStatus: 200 },
  {
    method: 'POST',
    path: '/v1/partner/keys',
    okStatus: 201,
    prepare: async () => ({
      body: { jwk: (await newKeyPair('EdDSA', uniqueCode('k'))).publicJwk },
    }),
  },
  {
    method: 'POST',
    path: '/v1/partner/keys/{kid}/revoke',
    okStatus: 200,
    prepare: async () => {
      const spare = await addSigningKey(hub, alice.partner.id, uniqueCode('spare'));
      return { path: `/v1/partner/keys/${spare.kid}/revoke` };
    },
  },
  { method: 'GET', path: '/v1/partner/webhooks', okStatus: 200 },
  {
    method: 'POST',
    path: '/v1/partner/webhooks',
    okStatus: 201,
    prepare: async () => {
      await clearEndpoints();
      return { body: { url: 'https://hooks.example.com/hub', eventTypes: ['hold.expired'] } };
    },
  },
  {
    method: 'PATCH',
    path: '/v1/partner/webhooks/{endpointId}',
    okStatus: 200,
    prepare: async () => ({
      path: `/v1/partner/webhooks/${await newEndpoint()}`,
      body: { description: 'renamed' },
    }),
  },
  {
    method: 'DELETE',
    path: '/v1/partner/webhooks/{endpointId}',
    okStatus: 204,
    prepare: async () => ({ path: `/v1/partner/webhooks/${await newEndpoint()}` }),
  },
  { method: 'GET', path: '/v1/partner/webhook-deliveries', okStatus: 200 },
  {
    method: 'GET',
    path: '/v1/partner/webhook-deliveries/{deliveryId}',
    okStatus: 200,
    prepare: async () => ({ path: `/v1/partner/webhook-deliveries/${await newDelivery()}` }),
  },
  {
    method: 'POST',
    path: '/v1/partner/webhook-deliveries/{deliveryId}/redeliver',
    okStatus: 201,
    prepare: async () => ({
      path: `/v1/partner/webhook-deliveries/${await newDelivery()}/redeliver`,
    }),
  },
  {
    method: 'POST',
    path: '/v1/partner/refunds',
    okStatus: 200,
    prepare: async () => {
      const purchase = counter.purchase();
      await counter.counter.earn(alice.partner.id, {
        ...purchase,
        purchasedAt: hub.services.clock.now(),
      });
      return {
        body: {
          kind: 'purchase',
          refundId: uniqueCode('F'),
          orderId: purchase.orderId,
          refundAmountMinor: 100,
        },
      };
    },
  },
];

const clock = manualClock(new Date('2026-11-25T08:00:00Z'));
let hub: TestHub;
let app: TestApp;
let alice: TestPartner;
let bob: TestPartner;

beforeAll(async () => {
  hub = await createTestHub({ clock });
  app = createApp(hub.services);
  alice = await newTestPartner(hub);
  bob = await newTestPartner(hub);
  counter = await counterFixture(hub, alice.partner.id, { members: 12 });
  const day = {
    starts_at: new Date('2026-11-23T16:00:00Z'),
    ends_at: new Date('2026-11-24T16:00:00Z'),
  };
  await hub.services.db
    .insertInto('settlement_periods')
    .values({
      id: periodId,
      local_date: '2026-11-24',
      ...day,
      status: 'computed',
      closed_at: day.ends_at,
      computed_at: day.ends_at,
      currency: 'CNY',
    })
    .execute();
});
afterAll(async () => {
  await hub.close();
});

/** Alice's webhook endpoints deleted, so that a new one stays within her limit. */
async function clearEndpoints(): Promise<void> {
  const db = hub.services.db;
  const now = hub.services.clock.now();
  for (const e of await listWebhookEndpoints(db, alice.partner.id))
    await deleteWebhookEndpoint(db, { partnerId: alice.partner.id, endpointId: e.id, now });
}

/** A fresh webhook endpoint of alice's; its id. */
async function newEndpoint(): Promise<string> {
  await clearEndpoints();
  const endpoint = await createWebhookEndpoint(hub.services.db, hub.config, {
    partnerId: alice.partner.id,
    endpoint: { url: 'https://hooks.example.com/hub', eventTypes: ['hold.expired'] },
    now: hub.services.clock.now(),
  });
  return endpoint.id;
}

/** A delivery of an event about alice to a fresh endpoint of hers; its id. */
async function newDelivery(): Promise<string> {
  const endpointId = await newEndpoint();
  const now = hub.services.clock.now();
  await recordEvent(hub.services.db, {
    type: 'hold.expired',
    occurredAt: now,
    audience: [alice.partner.id],
    data: { holdId: newId() },
  });
  await fanOutEvents(hub.services.db, hub.config, now);
  const [delivery] = await listWebhookDeliveries(hub.services.db, {
    partnerId: alice.partner.id,
    endpointId,
    limit: 1,
  });
  return delivery?.id ?? '';
}

/** A fresh benefit of alice's without a usage limit, published through the API; its id. */
async function publishedBenefit(): Promise<string> {
  const res = await signedFetch(hub, app, alice.key, {
    method: 'POST',
    path: '/v1/partner/benefits',
    body: {
      code: uniqueCode('b'),
      title: 'Free refill',
      kind: 'service_perk',
      params: { perk: 'Refill' },
    },
    idempotencyKey: idempotencyKey(),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function goodCall(route: SignedRoute): Promise<SignedCall> {
  const prepared = (await route.prepare?.()) ?? {};
  return {
    method: route.method,
    path: prepared.path ?? route.path,
    body: prepared.body ?? route.body?.(),
    rawBody: route.rawBody?.(),
    idempotencyKey: route.method === 'POST' ? idempotencyKey() : undefined,
  };
}

/** What a partner could notice changing: its stores, its members, its ledger entries. */
async function aliceState(): Promise<string> {
  const db = hub.services.db;
  const [stores, entries, links] = await Promise.all([
    listStores(db, alice.partner.id),
    db
      .selectFrom('ledger_entries')
      .select(db.fn.countAll<number>().as('n'))
      .where('partner_id', '=', alice.partner.id)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('member_links')
      .select(db.fn.countAll<number>().as('n'))
      .where('partner_id', '=', alice.partner.id)
      .executeTakeFirstOrThrow(),
  ]);
  return `${stores.length}/${entries.n}/${links.n}`;
}

async function expectRefused(res: Response, status: number, type: string): Promise<void> {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect({ status: res.status, type: ((await res.json()) as { type: string }).type }).toEqual({
    status,
    type: `/docs/problems#${type}`,
  });
}

describe.each(signedRoutes)('$method $path', (route) => {
  it('accepts a request signed as docs/signing.md says', async () => {
    const res = await signedFetch(hub, app, alice.key, await goodCall(route));
    expect(res.status).toBe(route.okStatus);
  });

  it('accepts an ES256 key as well as an EdDSA one', async () => {
    const key = await addSigningKey(hub, alice.partner.id, uniqueCode('es'), 'ES256');
    const res = await signedFetch(hub, app, key, await goodCall(route));
    expect(res.status).toBe(route.okStatus);
    // Alice's active keys stay few: she may add keys herself only up to a limit.
    await revokePartnerKey(hub.services.db, alice.partner.id, key.kid, clock.now());
  });

  const failures: {
    name: string;
    status?: number;
    type?: string;
    onlyPost?: boolean;
    /** The case makes an accepted request first, and checks on its own what changed. */
    acceptsFirst?: boolean;
    send(call: SignedCall): Promise<Response> | Response;
  }[] = [
    {
      name: 'no signature at all',
      type: 'unauthenticated',
      send: (call) =>
        app.request(call.path, {
          method: call.method,
          body: call.body === undefined ? undefined : JSON.stringify(call.body),
          headers: { 'content-type': 'application/json', 'idempotency-key': 'k' },
        }),
    },
    {
      name: 'a timestamp more than 5 minutes old',
      send: (call) =>
        signedFetch(hub, app, alice.key, {
          ...call,
          timestamp: Math.floor(clock.now().getTime() / 1000) - 301,
        }),
    },
    {
      name: 'a timestamp more than 5 minutes ahead',
      send: (call) =>
        signedFetch(hub, app, alice.key, {
          ...call,
          timestamp: Math.floor(clock.now().getTime() / 1000) + 301,
        }),
    },
    {
      name: 'a tampered body',
      send: (call) => signedFetch(hub, app, alice.key, { ...call, signedBody: '{"code":"other"}' }),
    },
    {
      name: 'a tampered path (query added)',
      send: (call) =>
        signedFetch(hub, app, alice.key, {
          ...call,
          signedPath: call.path,
          path: `${call.path}?limit=1`,
        }),
    },
    {
      name: 'a tampered Idempotency-Key header',
      send: (call) =>
        signedFetch(hub, app, alice.key, {
          ...call,
          idempotencyKey: idempotencyKey(),
          signedIdempotencyKey: idempotencyKey(),
        }),
    },
    {
      name: 'a Hub-Timestamp header changed after signing',
      send: (call) => {
        const signedAt = Math.floor(clock.now().getTime() / 1000);
        return signedFetch(hub, app, alice.key, {
          ...call,
          timestamp: signedAt,
          overrideHeaders: { 'hub-timestamp': String(signedAt + 1) },
        });
      },
    },
    {
      name: 'a Hub-Nonce header changed after signing',
      send: (call) =>
        signedFetch(hub, app, alice.key, {
          ...call,
          nonce: 'nonce-as-signed-0001',
          overrideHeaders: { 'hub-nonce': 'nonce-as-sent-00001' },
        }),
    },
    {
      name: 'an unknown key',
      send: (call) => signedFetch(hub, app, { ...alice.key, kid: 'nobody-knows' }, call),
    },
    {
      name: 'a revoked key',
      send: async (call) => {
        const key = await addSigningKey(hub, alice.partner.id, uniqueCode('old'));
        await revokePartnerKey(hub.services.db, alice.partner.id, key.kid, clock.now());
        return signedFetch(hub, app, key, call);
      },
    },
    {
      name: "another partner's key (same kid) claiming to be this partner",
      send: (call) => signedFetch(hub, app, { ...bob.key, partnerId: alice.partner.id }, call),
    },
    {
      name: 'an algorithm other than the key’s (ES256 header on an Ed25519 key)',
      send: async (call) => {
        const es = await newKeyPair('ES256', 'main');
        const key = { partnerId: alice.partner.id, kid: 'main', alg: 'ES256' as const };
        return signedFetch(hub, app, { ...key, privateKey: es.privateKey }, call);
      },
    },
    {
      name: 'a replay of a request already accepted',
      acceptsFirst: true,
      send: async (call) => {
        const nonce = `replay-${uniqueCode('n')}`;
        const first = await signedFetch(hub, app, alice.key, { ...call, nonce });
        expect(first.status).toBeLessThan(300);
        const before = await aliceState();
        const replay = await signedFetch(hub, app, alice.key, { ...call, nonce });
        expect(await aliceState()).toBe(before);
        return replay;
      },
    },
    {
      name: 'no Idempotency-Key',
      status: 400,
      type: 'idempotency_key_missing',
      onlyPost: true,
      send: (call) => signedFetch(hub, app, alice.key, { ...call, idempotencyKey: undefined }),
    },
    {
      name: 'a suspended partner',
      status: 403,
      type: 'forbidden',
      send: async (call) => {
        const carol = await newTestPartner(hub);
        await updatePartner(hub.services.db, carol.partner.id, { status: 'suspended' });
        return signedFetch(hub, app, carol.key, call);
      },
    },
  ];

  // Failures about the Idempotency-Key apply to POSTs only; GETs carry no key.
  for (const failure of failures.filter((f) => !f.onlyPost || route.method === 'POST')) {
    it(`refuses ${failure.name}`, async () => {
      const call = await goodCall(route);
      const before = await aliceState();
      const res = await failure.send(call);
      await expectRefused(res, failure.status ?? 401, failure.type ?? 'signature_invalid');
      // A refused request changes nothing.
      if (!failure.acceptsFirst) expect(await aliceState()).toBe(before);
    });
  }
});

describe('request size', () => {
  it('refuses a body over 1 MiB before reading it all (413)', async () => {
    const res = await signedFetch(hub, app, alice.key, {
      method: 'POST',
      path: '/v1/partner/stores',
      body: { code: 'big', name: 'x'.repeat(1024 * 1024) },
      idempotencyKey: idempotencyKey(),
    });
    await expectRefused(res, 413, 'payload_too_large');
  });
});

describe('partner scoping', () => {
  it('shows a partner only its own stores', async () => {
    const code = uniqueCode('B');
    const made = await signedFetch(hub, app, bob.key, {
      method: 'POST',
      path: '/v1/partner/stores',
      body: { code, name: 'Bob only' },
      idempotencyKey: idempotencyKey(),
    });
    expect(made.status).toBe(201);
    const res = await signedFetch(hub, app, alice.key, {
      method: 'GET',
      path: '/v1/partner/stores',
    });
    const { stores } = (await res.json()) as { stores: { code: string }[] };
    expect(stores.map((s) => s.code)).not.toContain(code);
    // The seam for the counter endpoints: another partner's store is simply not found.
    const bobStore = (await made.json()) as { id: string };
    const db = hub.services.db;
    expect((await getPartnerStore(db, bob.partner.id, { code })).id).toBe(bobStore.id);
    await expect(getPartnerStore(db, alice.partner.id, { id: bobStore.id })).rejects.toThrow(
      'No such store.',
    );
  });

  it('answers GET /v1/partner/me with the signing partner', async () => {
    const res = await signedFetch(hub, app, bob.key, { method: 'GET', path: '/v1/partner/me' });
    expect(await res.json()).toMatchObject({ id: bob.partner.id, status: 'active' });
  });
});
