import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, leaseIdempotency, signedRouter } from '../../gateway/index.ts';
import {
  bodyDigest,
  claimIdempotencyKey,
  deleteExpiredIdempotencyKeys,
  listStores,
  requestHash,
} from '../../partners/index.ts';
import { manualClock } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import {
  idempotencyKey,
  newTestPartner,
  signedFetch,
  type TestApp,
  type TestPartner,
  uniqueCode,
} from '../support/partners.ts';

const clock = manualClock(new Date('2026-11-25T08:00:00Z'));
let hub: TestHub;
let app: TestApp;
let partner: TestPartner;

beforeAll(async () => {
  hub = await createTestHub({ clock });
  app = createApp(hub.services);
  partner = await newTestPartner(hub);
});
afterAll(async () => {
  await hub.close();
});

function openStore(key: string, code: string, who: TestPartner = partner) {
  return signedFetch(hub, app, who.key, {
    method: 'POST',
    path: '/v1/partner/stores',
    body: { code, name: `Store ${code}` },
    idempotencyKey: key,
  });
}

async function storeCodes(who: TestPartner = partner): Promise<string[]> {
  return (await listStores(hub.services.db, who.partner.id)).map((s) => s.code);
}

describe('Idempotency-Key on partner POSTs', () => {
  it('answers a retry (new nonce, same key and body) with the stored answer, applied once', async () => {
    const key = idempotencyKey();
    const code = uniqueCode('S');
    const first = await openStore(key, code);
    const retry = await openStore(key, code);
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.text()).toBe(await first.text());
    expect((await storeCodes()).filter((c) => c === code)).toHaveLength(1);
  });

  it('stores an error answer and gives it back to a retry', async () => {
    const code = uniqueCode('S');
    expect((await openStore(idempotencyKey(), code)).status).toBe(201);
    const key = idempotencyKey();
    const conflict = await openStore(key, code);
    expect(conflict.status).toBe(409);
    const retry = await openStore(key, code);
    expect(retry.status).toBe(409);
    expect(retry.headers.get('content-type')).toBe('application/problem+json');
    expect(await retry.text()).toBe(await conflict.text());
  });

  it('refuses the same key with another body (422), changing nothing', async () => {
    const key = idempotencyKey();
    const code = uniqueCode('S');
    expect((await openStore(key, code)).status).toBe(201);
    const other = uniqueCode('S');
    const reused = await openStore(key, other);
    expect(reused.status).toBe(422);
    expect(await reused.json()).toMatchObject({ type: '/docs/problems#idempotency_key_reused' });
    expect(await storeCodes()).not.toContain(other);
  });

  it('processes concurrent requests with one key exactly once', async () => {
    const key = idempotencyKey();
    const code = uniqueCode('S');
    const answers = await Promise.all(Array.from({ length: 6 }, () => openStore(key, code)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const fresh = answers.filter((r) => r.status === 201 && !r.headers.has('idempotent-replayed'));
    expect(fresh).toHaveLength(1);
    expect((await storeCodes()).filter((c) => c === code)).toHaveLength(1);
  });

  it('keeps keys of different partners apart', async () => {
    const other = await newTestPartner(hub);
    const key = idempotencyKey();
    const a = await openStore(key, uniqueCode('S'));
    const b = await openStore(key, uniqueCode('S'), other);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
  });

  it('answers 409 while a claim is fresh, and lets a retry take over a claim whose lease ran out', async () => {
    const key = idempotencyKey();
    const code = uniqueCode('S');
    const body = JSON.stringify({ code, name: `Store ${code}` });
    // A first request that claimed the key and then died with its process.
    await claimIdempotencyKey(hub.services.db, {
      partnerId: partner.partner.id,
      key,
      requestHash: requestHash('POST', '/v1/partner/stores', bodyDigest(Buffer.from(body))),
      now: clock.now(),
    });
    const busy = await openStore(key, code);
    expect(busy.status).toBe(409);
    expect(await busy.json()).toMatchObject({ type: '/docs/problems#idempotency_in_progress' });
    expect(busy.headers.get('retry-after')).toBe('1');

    clock.advanceMs(31_000);
    const takenOver = await openStore(key, code);
    expect(takenOver.status).toBe(201);
    expect(await storeCodes()).toContain(code);
  });

  it('does not store a 5xx answer: the retry runs the request again', async () => {
    const signed = signedRouter();
    let runs = 0;
    signed.post('/flaky', leaseIdempotency, (c) => {
      runs += 1;
      if (runs === 1) throw new Error('the database went away');
      return c.json({ runs }, 201);
    });
    const withTestRoute = createApp(hub.services);
    withTestRoute.route('/test/signed', signed);
    const call = {
      method: 'POST',
      path: '/test/signed/flaky',
      body: {},
      idempotencyKey: idempotencyKey(),
    } as const;
    const failed = await signedFetch(hub, withTestRoute, partner.key, call);
    expect(failed.status).toBe(500);
    const retry = await signedFetch(hub, withTestRoute, partner.key, call);
    expect(retry.status).toBe(201);
    expect(await retry.json()).toEqual({ runs: 2 });
  });

  it('keeps keys for 24 hours, then the cleanup job removes them', async () => {
    const key = idempotencyKey();
    const code = uniqueCode('S');
    expect((await openStore(key, code)).status).toBe(201);
    clock.advanceMs(23 * 60 * 60 * 1000);
    await deleteExpiredIdempotencyKeys(hub.services.db, clock.now());
    expect((await openStore(key, code)).headers.get('idempotent-replayed')).toBe('true');

    clock.advanceMs(2 * 60 * 60 * 1000);
    expect(await deleteExpiredIdempotencyKeys(hub.services.db, clock.now())).toBeGreaterThan(0);
    const remaining = await hub.services.db
      .selectFrom('idempotency_keys')
      .select('key')
      .where('key', '=', key)
      .execute();
    expect(remaining).toEqual([]);
  });
});
