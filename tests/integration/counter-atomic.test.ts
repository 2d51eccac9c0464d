import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type RunningGateway, startGateway } from '../../gateway/index.ts';
import { issuePayCode, tierProgress } from '../../members/index.ts';
import { EarnRuleSchema, setEarnRule } from '../../partners/index.ts';
import { manualClock, newId } from '../../platform/index.ts';
import { createPartnerClient, verifyHubReceipt } from '../../sdk/index.ts';
import { type CounterFixture, counterFixture } from '../support/counter.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { accrueFor, expectSoundLedger, farFuture } from '../support/ledger.ts';
import {
  idempotencyKey,
  newTestPartner,
  signedFetch,
  type TestApp,
  type TestPartner,
  uniqueCode,
} from '../support/partners.ts';

// What a till is told is what the ledger holds: each use case commits wholly or not at all,
// a retry gets the first answer, and one partner's bad input never fails another's.

const clock = manualClock(new Date('2026-11-25T08:00:00Z'));
let hub: TestHub;
let app: TestApp;
let alice: TestPartner;
let bob: TestPartner;
let aliceTill: CounterFixture;
let bobTill: CounterFixture;

beforeAll(async () => {
  hub = await createTestHub({ clock });
  app = createApp(hub.services);
  alice = await newTestPartner(hub);
  bob = await newTestPartner(hub);
  aliceTill = await counterFixture(hub, alice.partner.id, { members: 8, points: 0 });
  bobTill = await counterFixture(hub, bob.partner.id, { members: 2, points: 0 });
});
afterEach(async () => {
  await expectSoundLedger(aliceTill.ledger);
});
afterAll(async () => {
  await hub.close();
});

type Answer = { res: Response; text: string; body: Record<string, unknown> };

async function post(path: string, body: unknown, as = alice, key = idempotencyKey()) {
  const res = await signedFetch(hub, app, as.key, {
    method: 'POST',
    path,
    body,
    idempotencyKey: key,
  });
  const text = await res.text();
  return { res, text, body: JSON.parse(text) as Record<string, unknown> } satisfies Answer;
}

const member = (i: number) => {
  const m = aliceTill.members[i];
  if (!m) throw new Error(`no member ${i}`);
  return m;
};

const balanceOf = async (memberId: string) =>
  (await aliceTill.ledger.memberPoints(memberId)).balance;
const growthOf = async (memberId: string) =>
  (await tierProgress(hub.services, memberId)).growthValue;
const bookedOrders = async (orderId: string) =>
  (
    await hub.services.db
      .selectFrom('counter_purchases')
      .select('order_id')
      .where('order_id', '=', orderId)
      .execute()
  ).length;

describe('a purchase the hub cannot accept', () => {
  it('more than 5 minutes ahead of the hub is refused naming purchasedAt, and nothing is credited or grown', async () => {
    const m = member(0);
    const [points, growth] = [await balanceOf(m.memberId), await growthOf(m.memberId)];
    const ahead = aliceTill.purchase({
      member: { customerId: m.customerId },
      purchasedAt: new Date(clock.now().getTime() + 5 * 60_000 + 1_000).toISOString(),
    });
    const key = idempotencyKey();
    const refused = await post('/v1/partner/accruals', ahead, alice, key);
    expect(refused.res.status).toBe(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'purchasedAt' })]);
    expect([await balanceOf(m.memberId), await growthOf(m.memberId)]).toEqual([points, growth]);
    expect(await bookedOrders(ahead.orderId)).toBe(0);

    // The refusal changed nothing, so the till may correct the time and send it again.
    const corrected = { ...ahead, purchasedAt: clock.now().toISOString() };
    expect((await post('/v1/partner/accruals', corrected, alice, key)).res.status).toBe(200);
    expect(await balanceOf(m.memberId)).toBe(points + 123);
  });

  it('more than 30 days old is refused too, and nothing is credited', async () => {
    const m = member(0);
    const points = await balanceOf(m.memberId);
    const old = aliceTill.purchase({
      member: { customerId: m.customerId },
      purchasedAt: new Date(clock.now().getTime() - 31 * 86_400_000).toISOString(),
    });
    const refused = await post('/v1/partner/accruals', old);
    expect(refused.res.status).toBe(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'purchasedAt' })]);
    expect(await balanceOf(m.memberId)).toBe(points);
    expect(await bookedOrders(old.orderId)).toBe(0);
  });

  it("from one partner (a NUL byte, year 9999) never fails another partner's purchases in the same batch", async () => {
    const good = Array.from({ length: 40 }, (_, i) =>
      aliceTill.purchase({
        amountMinor: 1_000,
        member: { customerId: member(1 + (i % 4)).customerId },
      }),
    );
    const badOrder = bobTill.purchase({ orderId: `NUL\u0000${uniqueCode('O')}` });
    const badDate = bobTill.purchase({ purchasedAt: '9999-12-31T23:59:59Z' });
    const answers = await Promise.all([
      ...good.map((p) => post('/v1/partner/accruals', p)),
      post('/v1/partner/accruals', badOrder, bob),
      post('/v1/partner/accruals', badDate, bob),
    ]);
    expect(answers.slice(0, 40).map((a) => a.res.status)).toEqual(good.map(() => 200));
    const [nul, year] = answers.slice(40);
    expect([nul?.res.status, year?.res.status]).toEqual([400, 400]);
    expect(nul?.body.errors).toEqual([expect.objectContaining({ field: 'orderId' })]);
    expect(year?.body.errors).toEqual([expect.objectContaining({ field: 'purchasedAt' })]);
    for (const p of good) expect(await bookedOrders(p.orderId)).toBe(1);
  });
});

describe('what PostgreSQL still refuses inside a shared batch', () => {
  it('fails only the item that carries it: the batch is split until it stands alone', async () => {
    const ledger = aliceTill.ledger;
    const partners = [newId(), newId(), newId()];
    const members = Array.from({ length: 30 }, () => newId());
    const good = members.map((memberId, i) =>
      accrueFor(ledger, partners[i % 3] ?? '', memberId, 10 + i),
    );
    // jsonb refuses \u0000: a value no earlier check in the ledger looks for.
    const poisoned = ledger.accrue({
      partnerId: partners[1] ?? '',
      memberId: newId(),
      points: 5,
      idempotencyKey: `poisoned-${newId()}`,
      expiresAt: farFuture,
      metadata: { note: 'bad \u0000 byte' },
    });
    const [settled, refusal] = await Promise.all([
      Promise.allSettled(good),
      poisoned.then(
        () => undefined,
        (error: unknown) => error,
      ),
    ]);
    expect(settled.map((s) => s.status)).toEqual(members.map(() => 'fulfilled'));
    expect(refusal).toMatchObject({ type: 'validation_failed' });
    for (const [i, memberId] of members.entries()) expect(await balanceOf(memberId)).toBe(10 + i);
  });
});

describe('a retry', () => {
  it('gets the first answer, byte for byte, under the same key or another, though the tier has risen since', async () => {
    const m = member(5);
    const first = aliceTill.purchase({ amountMinor: 40_000, member: { customerId: m.customerId } });
    const key = idempotencyKey();
    const answer = await post('/v1/partner/accruals', first, alice, key);
    expect(answer.body).toMatchObject({ points: 400, tier: 'ordinary', tierChange: null });
    // The next purchase lifts the member to 1-star (500 CNY): the answer says so.
    const lift = await post(
      '/v1/partner/accruals',
      aliceTill.purchase({ amountMinor: 10_000, member: { customerId: m.customerId } }),
    );
    expect(lift.body).toMatchObject({
      points: 100,
      tier: 'star1',
      tierChange: { from: 'ordinary', to: 'star1' },
    });
    // A third purchase earns at 1-star's rate (x1.2) at once.
    const third = await post(
      '/v1/partner/accruals',
      aliceTill.purchase({ amountMinor: 10_000, member: { customerId: m.customerId } }),
    );
    expect(third.body).toMatchObject({ points: 120, tier: 'star1', tierChange: null });

    const sameKey = await post('/v1/partner/accruals', first, alice, key);
    expect(sameKey.text).toBe(answer.text);
    expect(sameKey.res.headers.get('idempotent-replayed')).toBe('true');
    const newKey = await post('/v1/partner/accruals', first);
    expect(newKey.text).toBe(answer.text);
    expect(await balanceOf(m.memberId)).toBe(400 + 100 + 120);
  });

  it('of an order with other details is refused as order_reused, and changes nothing', async () => {
    const m = member(6);
    const first = aliceTill.purchase({ amountMinor: 5_000, member: { customerId: m.customerId } });
    await post('/v1/partner/accruals', first);
    const other = await post('/v1/partner/accruals', { ...first, amountMinor: 6_000 });
    expect(other.res.status).toBe(422);
    expect(other.body.type).toBe('/docs/problems#order_reused');
    expect(await balanceOf(m.memberId)).toBe(50);
  });

  it('gets a kept refusal again, and the refusal is the key’s for good', async () => {
    const unknown = aliceTill.purchase({ member: { customerId: uniqueCode('nobody') } });
    const key = idempotencyKey();
    const refused = await post('/v1/partner/accruals', unknown, alice, key);
    expect(refused.res.status).toBe(404);
    const again = await post('/v1/partner/accruals', unknown, alice, key);
    expect(again.text).toBe(refused.text);
    expect(again.res.headers.get('idempotent-replayed')).toBe('true');
  });

  it('of a request refused 429 runs when the partner is within its limit again', async () => {
    const limited = await newTestPartner(hub, { rateLimitPerMinute: 1 });
    const till = await counterFixture(hub, limited.partner.id, { members: 1, points: 0 });
    const purchase = till.purchase({ amountMinor: 2_000 });
    const key = idempotencyKey();
    expect((await post('/v1/partner/accruals', till.purchase(), limited)).res.status).toBe(200);
    expect((await post('/v1/partner/accruals', purchase, limited, key)).res.status).toBe(429);
    clock.advanceMs(60_000);
    const later = await post('/v1/partner/accruals', purchase, limited, key);
    expect(later.res.status).toBe(200);
    expect(later.res.headers.get('idempotent-replayed')).toBeNull();
    expect(later.body).toMatchObject({ points: 20 });
  });
});

describe('redemptions', () => {
  beforeAll(async () => {
    for (const i of [2, 3, 4])
      await accrueFor(aliceTill.ledger, alice.partner.id, member(i).memberId, 5_000);
  });

  const redemption = async (i: number, points: number, code?: string) => ({
    payCode: code ?? (await issuePayCode(hub.services, member(i).memberId)).code,
    storeCode: aliceTill.storeCode,
    orderId: uniqueCode('R'),
    orderAmountMinor: 100_000,
    points,
  });

  // Either refusal, at either step: the till may correct the order and present the same code.
  it.each([
    ['too few points', 'authorise'],
    ['too few points', 'redeem'],
    ['more than half the order', 'authorise'],
    ['more than half the order', 'redeem'],
  ] as const)(
    'refused for %s (%s) leaves the pay code valid for the member',
    async (refusal, step) => {
      const m = member(2);
      const available = (await aliceTill.ledger.memberPoints(m.memberId)).available;
      const code = (await issuePayCode(hub.services, m.memberId)).code;
      const path =
        step === 'authorise' ? '/v1/partner/redemptions/authorise' : '/v1/partner/redemptions';
      const refused = await post(
        path,
        refusal === 'too few points'
          ? await redemption(2, available + 1, code)
          : { ...(await redemption(2, 100, code)), orderAmountMinor: 199 },
      );
      expect(refused.res.status).toBe(422);
      expect(refused.body.type).toBe(
        refusal === 'too few points'
          ? '/docs/problems#insufficient_points'
          : '/docs/problems#business_rule',
      );
      expect((await aliceTill.ledger.memberPoints(m.memberId)).available).toBe(available);
      const ok = await post(path, await redemption(2, 100, code));
      expect(ok.res.status).toBe(200);
      expect((await aliceTill.ledger.memberPoints(m.memberId)).available).toBe(available - 100);
    },
  );

  it('an over-capture is refused without making the hold uncapturable', async () => {
    const auth = await post('/v1/partner/redemptions/authorise', await redemption(3, 10));
    const holdId = String(auth.body.holdId);
    const over = await post(`/v1/partner/redemptions/${holdId}/capture`, { points: 11 });
    expect(over.res.status).toBe(422);
    const capture = await post(`/v1/partner/redemptions/${holdId}/capture`, { points: 10 });
    expect(capture.res.status).toBe(200);
    // Asked again under a new key: the first capture's answer; other points: a conflict.
    const again = await post(`/v1/partner/redemptions/${holdId}/capture`, { points: 10 });
    expect(again.text).toBe(capture.text);
    const other = await post(`/v1/partner/redemptions/${holdId}/capture`, { points: 5 });
    expect(other.res.status).toBe(409);
  });

  it('retried under a new key, with a new pay code, gets the first authorisation and spends nothing more', async () => {
    const m = member(4);
    const body = await redemption(4, 70);
    const first = await post('/v1/partner/redemptions/authorise', body);
    const held = (await aliceTill.ledger.memberPoints(m.memberId)).held;
    const retry = await post('/v1/partner/redemptions/authorise', {
      ...body,
      payCode: (await issuePayCode(hub.services, m.memberId)).code,
    });
    expect(retry.text).toBe(first.text);
    expect((await aliceTill.ledger.memberPoints(m.memberId)).held).toBe(held);
  });
});

describe('a 500-purchase batch', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startGateway(hub.services);
  });
  afterAll(async () => {
    await gateway.stop();
  });

  it("is read by Node's own fetch: its receipt is small and verifies against the answer", async () => {
    const client = createPartnerClient({
      baseUrl: gateway.url,
      key: alice.key,
      now: () => Math.floor(clock.now().getTime() / 1000),
    });
    const purchases = Array.from({ length: 500 }, (_, i) =>
      aliceTill.purchase({ amountMinor: 100 + i, member: { customerId: member(7).customerId } }),
    );
    const key = idempotencyKey();
    const res = await client.post('/v1/partner/accruals/batch', { purchases }, key);
    expect(res.status).toBe(200);
    const text = await res.text();
    const results = (JSON.parse(text) as { results: { status: string }[] }).results;
    expect(results.filter((r) => r.status === 'accrued')).toHaveLength(500);
    const receipt = res.headers.get('hub-receipt') ?? '';
    expect(receipt.length).toBeGreaterThan(0);
    expect(receipt.length).toBeLessThan(1024);
    const jwks = await hub.services.hubSigner.jwks();
    expect(await verifyHubReceipt(receipt, jwks, text)).toMatchObject({
      partnerId: alice.partner.id,
      idempotencyKey: key,
    });
    // Sent again under its key: the same bytes, with a receipt for them.
    const again = await client.post('/v1/partner/accruals/batch', { purchases }, key);
    expect(await again.text()).toBe(text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });
});

describe('a counter whose pool is small', () => {
  it('captures and refunds while its caches reload, never waiting for a second connection', async () => {
    // Two connections, both held by the transactions of concurrent use cases: a use case that
    // asked the pool for another one (a cache reloading inside its transaction) waited for ever.
    const small = await createTestHub({ clock, env: { DATABASE_POOL_MAX: '2' } });
    try {
      const partner = await newTestPartner(small);
      const till = await counterFixture(small, partner.partner.id, { members: 4, points: 5_000 });
      // One after another: a member's new pay code kills the one before.
      const holds: string[] = [];
      for (let i = 0; i < 6; i += 1) holds.push(await till.authorise(10));
      const purchases = await Promise.all(
        till.members.map((m) =>
          till.counter.earn(partner.partner.id, {
            ...till.purchase({ member: { customerId: m.customerId } }),
            purchasedAt: clock.now(),
          }),
        ),
      );
      // A rule change makes every process cache of the rules reload on its next read.
      await setEarnRule(
        small.services.db,
        partner.partner.id,
        EarnRuleSchema.parse({}),
        clock.now(),
      );
      const [captured, refunded] = await Promise.all([
        Promise.all(holds.map((holdId) => till.counter.capture(partner.partner.id, holdId))),
        Promise.all(
          purchases.map(({ answer }) =>
            till.counter.refundPurchase(partner.partner.id, {
              refundId: uniqueCode('F'),
              orderId: answer.orderId,
              refundAmountMinor: 100,
            }),
          ),
        ),
      ]);
      expect(captured.map((c) => c.answer.points)).toEqual(holds.map(() => 10));
      expect(refunded).toHaveLength(till.members.length);
      await expectSoundLedger(till.ledger);
    } finally {
      await small.close();
    }
  });
});
