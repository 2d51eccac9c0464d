import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exportPKCS8 } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import { webhookHeaders } from '../../partners/index.ts';
import { createHubSigner, manualClock, newId, rotateHubKey } from '../../platform/index.ts';
import type { OpenApiDocument } from '../../scripts/sdk-types.ts';
import { renderSdkTypes, sameTypes } from '../../scripts/sdk-types.ts';
import {
  clientRoutes,
  createHubClient,
  createPartnerClient,
  HubNetworkError,
  HubProblemError,
} from '../../sdk/index.ts';
import { type CounterFixture, counterFixture } from '../support/counter.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { newTestPartner, type TestApp, type TestPartner, uniqueCode } from '../support/partners.ts';

const clock = manualClock(new Date('2026-11-25T08:00:00Z'));
let hub: TestHub;
let app: TestApp;
beforeAll(async () => {
  hub = await createTestHub({ clock });
  app = createApp(hub.services);
});
afterAll(async () => {
  await hub.close();
});

describe('partner SDK', () => {
  it('signs calls the hub accepts, and a retried POST gets the first answer', async () => {
    const { key, partner } = await newTestPartner(hub, { alg: 'ES256' });
    const client = createPartnerClient({
      baseUrl: 'http://hub.test/',
      key,
      fetch: (url, init) => app.request(url, init),
      now: () => Math.floor(clock.now().getTime() / 1000),
    });
    expect(await (await client.get('/v1/partner/me')).json()).toMatchObject({ id: partner.id });
    const body = { code: uniqueCode('S'), name: 'SDK store' };
    const first = await client.post('/v1/partner/stores', body, 'sdk-order-1');
    const retry = await client.post('/v1/partner/stores', body, 'sdk-order-1');
    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(await retry.text()).toBe(await first.text());
  });

  it('has a method for every partner route of /openapi.json, and types generated from it', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as OpenApiDocument;
    const documented = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/partner/'))
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(new Set(Object.values(clientRoutes))).toEqual(new Set(documented));
    const file = readFileSync(
      fileURLToPath(new URL('../../sdk/openapi-types.ts', import.meta.url)),
      'utf8',
    );
    expect(
      sameTypes(renderSdkTypes(doc), file),
      'sdk/openapi-types.ts is stale: npm run sdk:types',
    ).toBe(true);
  });

  it('imports nothing from the server', () => {
    const dir = fileURLToPath(new URL('../../sdk/', import.meta.url));
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(`${dir}${file}`, 'utf8');
      const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1] ?? '');
      for (const spec of imports)
        expect(spec, `${file} imports ${spec}`).toMatch(/^(node:|jose$|\.\/)/);
    }
  });
});

describe('the typed client', () => {
  let partner: TestPartner;
  let fixture: CounterFixture;
  let pem: string;
  beforeAll(async () => {
    partner = await newTestPartner(hub, { alg: 'ES256' });
    fixture = await counterFixture(hub, partner.partner.id, { members: 1 });
    pem = await exportPKCS8(partner.key.privateKey);
  });
  afterAll(async () => {
    await fixture.ledger.close();
  });

  type Seen = { idempotencyKey: string | null; nonce: string | null };
  /** A fetch into the app that first fails as told (a thrown error, or a status). */
  function flakyFetch(failures: Array<'network' | number>, seen: Seen[], through = app) {
    return (async (input: string | URL | Request, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      if (String(input).includes('/v1/partner/'))
        seen.push({
          idempotencyKey: headers.get('idempotency-key'),
          nonce: headers.get('hub-nonce'),
        });
      const failure = String(input).includes('/v1/partner/') ? failures.shift() : undefined;
      if (failure === 'network') throw new TypeError('fetch failed');
      if (typeof failure === 'number')
        return new Response('{}', { status: failure, headers: { 'retry-after': '0' } });
      return through.request(String(input), init);
    }) as typeof fetch;
  }

  function client(fetchFn: typeof fetch) {
    return createHubClient({
      hubUrl: 'http://hub.test',
      partnerId: partner.partner.id,
      kid: partner.key.kid,
      privateKey: pem,
      fetch: fetchFn,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      now: () => clock.now(),
    });
  }

  it('retries a network error, a 503 and a 429 with one Idempotency-Key, signed afresh', async () => {
    const seen: Seen[] = [];
    const hub_ = client(flakyFetch(['network', 503, 429], seen));
    const earned = await hub_.earn({
      body: { ...fixture.purchase(), member: { customerId: fixture.members[0]?.customerId ?? '' } },
    });
    expect(earned.data.points).toBeGreaterThan(0);
    expect(seen).toHaveLength(4);
    expect(new Set(seen.map((s) => s.idempotencyKey)).size).toBe(1);
    expect(seen[0]?.idempotencyKey).toBe(earned.idempotencyKey);
    expect(new Set(seen.map((s) => s.nonce)).size).toBe(4);
    await expect(hub_.verifyReceipt(earned)).resolves.toMatchObject({
      partnerId: partner.partner.id,
    });
  });

  it('never retries another 4xx, and throws it with the problem fields', async () => {
    const seen: Seen[] = [];
    const hub_ = client(flakyFetch([], seen));
    const error = await hub_
      .earn({ body: { ...fixture.purchase(), amountMinor: -5 } as never })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubProblemError);
    expect(error).toMatchObject({ status: 400, code: 'validation_failed' });
    expect((error as HubProblemError).fields).toEqual([
      expect.objectContaining({ field: 'amountMinor' }),
    ]);
    expect(seen).toHaveLength(1);
  });

  it('gives up after its attempts: the last 5xx as a problem, no answer as a network error', async () => {
    const seen: Seen[] = [];
    const down = client(flakyFetch([503, 503, 503, 503, 503, 503], seen));
    await expect(down.me()).rejects.toMatchObject({ status: 503 });
    expect(seen).toHaveLength(5);
    const gone = client(flakyFetch(Array(6).fill('network'), []));
    await expect(gone.me()).rejects.toBeInstanceOf(HubNetworkError);
  });

  it('fetches the JWKS again for a receipt signed by a key it has not seen', async () => {
    let jwksFetches = 0;
    let current = app;
    const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
      if (String(input).endsWith('/.well-known/jwks.json')) jwksFetches += 1;
      return current.request(String(input), init);
    }) as typeof fetch;
    const hub_ = createHubClient({
      hubUrl: 'http://hub.test',
      partnerId: partner.partner.id,
      kid: partner.key.kid,
      privateKey: pem,
      fetch: fetchFn,
      now: () => clock.now(),
      jwksRefreshMinMs: 0,
    });
    const member = { customerId: fixture.members[0]?.customerId ?? '' };
    const first = await hub_.earn({ body: { ...fixture.purchase(), member } });
    await hub_.verifyReceipt(first);
    await rotateHubKey(hub.services.db);
    current = createApp({ ...hub.services, hubSigner: createHubSigner(hub.services.db) });
    const second = await hub_.earn({ body: { ...fixture.purchase(), member } });
    await expect(hub_.verifyReceipt(second)).resolves.toBeDefined();
    await expect(hub_.verifyReceipt({ ...second, text: `${second.text} ` })).rejects.toThrow();
    expect(jwksFetches).toBe(2);
  });

  it('verifies a webhook signed by the hub for this partner', async () => {
    const hub_ = client(flakyFetch([], []));
    const body = JSON.stringify({
      id: newId(),
      type: 'hold.voided',
      occurredAt: '',
      partnerId: partner.partner.id,
      data: {},
    });
    const eventId = (JSON.parse(body) as { id: string }).id;
    const headers = await webhookHeaders(hub.services, {
      id: newId(),
      partnerId: partner.partner.id,
      endpointId: newId(),
      eventId,
      eventType: 'hold.voided',
      body,
      url: 'https://example.com',
      attempt: 1,
      giveUpAt: new Date(),
    });
    const { event } = await hub_.verifyWebhook(body, headers['hub-webhook-signature'] ?? '');
    expect(event.id).toBe(eventId);
    await expect(
      hub_.verifyWebhook(body.replace('{}', '{"x":1}'), headers['hub-webhook-signature'] ?? ''),
    ).rejects.toThrow();
  });
});
