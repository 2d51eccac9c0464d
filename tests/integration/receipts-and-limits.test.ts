import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, leaseIdempotency, receiptHeaders, signedRouter } from '../../gateway/index.ts';
import { buildReceipt, ReceiptError, verifyReceipt } from '../../partners/index.ts';
import { manualClock } from '../../platform/index.ts';
import { verifyHubReceipt } from '../../sdk/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { newTestPartner, signedFetch, type TestApp } from '../support/partners.ts';

const clock = manualClock(new Date('2026-11-25T08:00:10Z'));
let hub: TestHub;
let app: TestApp;

beforeAll(async () => {
  hub = await createTestHub({ clock });
  app = createApp(hub.services);
});
afterAll(async () => {
  await hub.close();
});

describe('hub receipts', () => {
  it('verify offline against /.well-known/jwks.json, and only for the answer they came with', async () => {
    const body = JSON.stringify({ pointsAwarded: 120, entryId: 'e-1' });
    const receipt = await buildReceipt(hub.services, {
      partnerId: 'p-1',
      idempotencyKey: 'order-1',
      body,
    });
    const res = await app.request('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    const jwks = (await res.json()) as { keys: { d?: string }[] };
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);

    const fromSdk = await verifyHubReceipt(receipt, jwks, body);
    expect(fromSdk).toMatchObject({
      partnerId: 'p-1',
      idempotencyKey: 'order-1',
      issuedAt: '2026-11-25T08:00:10.000Z',
    });
    expect(await verifyReceipt(receipt, jwks, body)).toEqual(fromSdk);
    await expect(verifyReceipt(receipt, jwks, body.replace('120', '121'))).rejects.toThrow(
      ReceiptError,
    );
    await expect(verifyHubReceipt(receipt, { keys: [] }, body)).rejects.toThrow();
  });
});

describe('a money-moving handler on the signed router', () => {
  it('answers with a receipt for its body, and a retry gets the same answer and receipt', async () => {
    const signed = signedRouter();
    let runs = 0;
    signed.post('/award', leaseIdempotency, async (c) => {
      runs += 1;
      const body = { pointsAwarded: 120, entryId: `entry-${runs}` };
      return c.json(body, 201, await receiptHeaders(c, body));
    });
    const withTestRoute = createApp(hub.services);
    withTestRoute.route('/test/signed', signed);
    const { key, partner } = await newTestPartner(hub);
    const call = { method: 'POST', path: '/test/signed/award', body: { orderId: 'o-1' } } as const;
    const idem = 'order-o-1';
    const first = await signedFetch(hub, withTestRoute, key, { ...call, idempotencyKey: idem });
    const retry = await signedFetch(hub, withTestRoute, key, { ...call, idempotencyKey: idem });
    expect([first.status, retry.status, runs]).toEqual([201, 201, 1]);
    const body = await first.text();
    expect(await retry.text()).toBe(body);
    const receipt = first.headers.get('hub-receipt') ?? '';
    expect(retry.headers.get('hub-receipt')).toBe(receipt);
    const jwks = await hub.services.hubSigner.jwks();
    expect(await verifyHubReceipt(receipt, jwks, body)).toMatchObject({
      partnerId: partner.id,
      idempotencyKey: idem,
    });
    expect(JSON.parse(body)).toMatchObject({ entryId: 'entry-1' });
  });
});

describe('per-partner rate limit', () => {
  it('answers 429 with Retry-After past the limit, and lets the partner in again next minute', async () => {
    const limited = await newTestPartner(hub, { rateLimitPerMinute: 3 });
    const other = await newTestPartner(hub);
    const me = () => signedFetch(hub, app, limited.key, { method: 'GET', path: '/v1/partner/me' });
    for (let i = 0; i < 3; i += 1) expect((await me()).status).toBe(200);
    const refused = await me();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('50');
    expect(await refused.json()).toMatchObject({ type: '/docs/problems#rate_limited' });
    // Another partner's budget is its own.
    const res = await signedFetch(hub, app, other.key, { method: 'GET', path: '/v1/partner/me' });
    expect(res.status).toBe(200);

    clock.advanceMs(50_000);
    expect((await me()).status).toBe(200);
  });
});
