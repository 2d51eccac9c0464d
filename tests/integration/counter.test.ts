import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import { type Ledger, verifyLedger } from '../../ledger/index.ts';
import { createPaidPlan, issuePayCode, startTrial } from '../../members/index.ts';
import { EarnRuleSchema, setEarnRule, verifyReceipt } from '../../partners/index.ts';
import { hubJwks, manualClock } from '../../platform/index.ts';
import { type CounterFixture, counterFixture } from '../support/counter.ts';
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
let alice: TestPartner;
let bob: TestPartner;
let counter: CounterFixture;
let ledger: Ledger;

beforeAll(async () => {
  hub = await createTestHub({ clock });
  app = createApp(hub.services);
  alice = await newTestPartner(hub);
  bob = await newTestPartner(hub);
  counter = await counterFixture(hub, alice.partner.id, { members: 6, points: 0 });
  ledger = counter.ledger;
});
afterEach(async () => {
  expect(await verifyLedger(hub.services.db)).toEqual([]);
});
afterAll(async () => {
  await hub.close();
});

async function post(path: string, body: unknown, partner = alice, key = idempotencyKey()) {
  const res = await signedFetch(hub, app, partner.key, {
    method: 'POST',
    path,
    body,
    idempotencyKey: key,
  });
  return { res, body: (await res.json()) as Record<string, unknown> };
}

const member = (i: number) => {
  const m = counter.members[i];
  if (!m) throw new Error(`no member ${i}`);
  return m;
};

describe('POST /v1/partner/accruals', () => {
  it('awards points by the earn rule, rounded down, with a receipt the partner can verify offline', async () => {
    const body = counter.purchase({
      amountMinor: 12_999,
      member: { customerId: member(0).customerId },
    });
    const { res, body: answer } = await post('/v1/partner/accruals', body);
    expect(res.status).toBe(200);
    expect(answer).toMatchObject({
      orderId: body.orderId,
      memberId: member(0).memberId,
      points: 129,
    });
    expect(String(answer.rule)).not.toBe('');
    const receipt = res.headers.get('hub-receipt') ?? '';
    const payload = await verifyReceipt(
      receipt,
      await hubJwks(hub.services.db),
      JSON.stringify(answer),
    );
    expect(payload).toMatchObject({ partnerId: alice.partner.id });
    expect((await ledger.memberPoints(member(0).memberId)).balance).toBe(129);
  });

  it('doubles points for a paid super-member where the partner says so', async () => {
    await setEarnRule(
      hub.services.db,
      alice.partner.id,
      EarnRuleSchema.parse({ paidMemberMultiplier: '2' }),
      clock.now(),
    );
    try {
      await createPaidPlan(hub.services.db, { code: 'super', name: 'Super', feeMinor: 88_800 });
      await startTrial(hub.services, { memberId: member(5).memberId, planCode: 'super' });
      const paid = await post(
        '/v1/partner/accruals',
        counter.purchase({ amountMinor: 10_000, member: { memberId: member(5).memberId } }),
      );
      const plain = await post(
        '/v1/partner/accruals',
        counter.purchase({ amountMinor: 10_000, member: { memberId: member(1).memberId } }),
      );
      expect([paid.body.points, plain.body.points]).toEqual([200, 100]);
      expect(paid.body.multipliers).toEqual(
        expect.arrayContaining([expect.objectContaining({ source: 'paid-member', value: '2' })]),
      );
    } finally {
      await setEarnRule(hub.services.db, alice.partner.id, EarnRuleSchema.parse({}), clock.now());
    }
  });

  it('awards an order once, even under a new Idempotency-Key; other details for it are refused', async () => {
    const body = counter.purchase({
      amountMinor: 5_000,
      member: { customerId: member(1).customerId },
    });
    const first = await post('/v1/partner/accruals', body);
    const again = await post('/v1/partner/accruals', body);
    expect(again.body.entryId).toBe(first.body.entryId);
    const changed = await post('/v1/partner/accruals', { ...body, amountMinor: 6_000 });
    expect(changed.res.status).toBe(422);
    expect((await ledger.memberPoints(member(1).memberId)).balance).toBe(150);
  });

  it('names the field that is wrong and changes nothing', async () => {
    const { res, body } = await post('/v1/partner/accruals', counter.purchase({ amountMinor: -5 }));
    expect(res.status).toBe(400);
    expect(body.errors).toEqual([expect.objectContaining({ field: 'amountMinor' })]);
  });

  it("refuses another partner's store and another partner's customer id with 404", async () => {
    const foreignStore = await post('/v1/partner/accruals', counter.purchase(), bob);
    expect(foreignStore.res.status).toBe(404);
    const bobCounter = await counterFixture(hub, bob.partner.id, { members: 1, points: 0 });
    const foreignCustomer = await post(
      '/v1/partner/accruals',
      bobCounter.purchase({ member: { customerId: member(0).customerId } }),
      bob,
    );
    expect(foreignCustomer.res.status).toBe(404);
  });
});

describe('POST /v1/partner/accruals/batch', () => {
  it('answers each purchase on its own', async () => {
    const good = counter.purchase({
      amountMinor: 1_000,
      member: { customerId: member(2).customerId },
    });
    const bad = counter.purchase({ storeCode: 'NO-SUCH-STORE' });
    const { res, body } = await post('/v1/partner/accruals/batch', { purchases: [good, bad] });
    expect(res.status).toBe(200);
    const results = body.results as Array<{ orderId: string; status: string }>;
    expect(results.map((r) => [r.orderId, r.status])).toEqual([
      [good.orderId, 'accrued'],
      [bad.orderId, 'failed'],
    ]);
    expect((await ledger.memberPoints(member(2).memberId)).balance).toBe(10);
  });
});

describe('redemption at the counter', () => {
  beforeAll(async () => {
    for (const i of [3, 4]) {
      await post(
        '/v1/partner/accruals',
        counter.purchase({ amountMinor: 100_000, member: { customerId: member(i).customerId } }),
      );
    }
  });

  it('authorises with a pay code, captures part, releases the rest', async () => {
    const code = (await issuePayCode(hub.services, member(3).memberId)).code;
    const auth = await post('/v1/partner/redemptions/authorise', {
      payCode: code,
      storeCode: counter.storeCode,
      orderId: uniqueCode('R'),
      orderAmountMinor: 10_000,
      points: 400,
    });
    expect(auth.res.status).toBe(200);
    expect(auth.body).toMatchObject({ memberId: member(3).memberId, points: 400, valueMinor: 400 });
    expect(await ledger.memberPoints(member(3).memberId)).toEqual({
      balance: 1000,
      held: 400,
      available: 600,
    });
    const cap = await post(`/v1/partner/redemptions/${auth.body.holdId}/capture`, { points: 250 });
    expect(cap.body).toMatchObject({ points: 250, released: 150, valueMinor: 250 });
    expect(await ledger.memberPoints(member(3).memberId)).toEqual({
      balance: 750,
      held: 0,
      available: 750,
    });
  });

  it('refuses more than half the order, and the member keeps the pay code', async () => {
    const code = (await issuePayCode(hub.services, member(4).memberId)).code;
    const over = await post('/v1/partner/redemptions', {
      payCode: code,
      storeCode: counter.storeCode,
      orderId: uniqueCode('R'),
      orderAmountMinor: 1_000,
      points: 501,
    });
    expect(over.res.status).toBe(422);
    const ok = await post('/v1/partner/redemptions', {
      payCode: code,
      storeCode: counter.storeCode,
      orderId: uniqueCode('R'),
      orderAmountMinor: 1_000,
      points: 500,
    });
    expect(ok.res.status).toBe(200);
    expect((await ledger.memberPoints(member(4).memberId)).balance).toBe(500);
  });

  it('refuses a used pay code and an unknown one', async () => {
    const code = (await issuePayCode(hub.services, member(4).memberId)).code;
    const body = () => ({
      payCode: code,
      storeCode: counter.storeCode,
      orderId: uniqueCode('R'),
      orderAmountMinor: 1_000,
      points: 10,
    });
    expect((await post('/v1/partner/redemptions', body())).res.status).toBe(200);
    const reused = await post('/v1/partner/redemptions', body());
    expect(reused.res.status).toBe(422);
    expect(reused.body.type).toBe('/docs/problems#pay_code_invalid');
  });

  it("voids, and cannot touch another partner's hold", async () => {
    const holdId = await counter.authorise(5);
    expect((await post(`/v1/partner/redemptions/${holdId}/capture`, {}, bob)).res.status).toBe(404);
    const voided = await post(`/v1/partner/redemptions/${holdId}/void`, undefined);
    expect(voided.body).toMatchObject({ released: 5 });
  });
});

describe('POST /v1/partner/refunds', () => {
  it('takes back points in proportion to a partial purchase refund, adding up exactly over refunds', async () => {
    const m = member(2);
    const before = (await ledger.memberPoints(m.memberId)).balance;
    const purchase = counter.purchase({ amountMinor: 1_000, member: { customerId: m.customerId } });
    await post('/v1/partner/accruals', purchase);
    const refund = (amount: number) => ({
      kind: 'purchase',
      refundId: uniqueCode('F'),
      orderId: purchase.orderId,
      refundAmountMinor: amount,
    });
    const first = await post('/v1/partner/refunds', refund(333));
    const second = await post('/v1/partner/refunds', refund(667));
    expect([first.body.points, second.body.points]).toEqual([3, 7]);
    expect((await ledger.memberPoints(m.memberId)).balance).toBe(before);
    const over = await post('/v1/partner/refunds', refund(1));
    expect(over.res.status).toBe(422);
  });

  it('gives back redeemed points once per refund id', async () => {
    const m = member(3);
    const before = (await ledger.memberPoints(m.memberId)).balance;
    const code = (await issuePayCode(hub.services, m.memberId)).code;
    const orderId = uniqueCode('R');
    await post('/v1/partner/redemptions', {
      payCode: code,
      storeCode: counter.storeCode,
      orderId,
      orderAmountMinor: 1_000,
      points: 80,
    });
    const body = { kind: 'redemption', refundId: uniqueCode('F'), orderId };
    const first = await post('/v1/partner/refunds', body);
    const again = await post('/v1/partner/refunds', body);
    expect(first.body).toMatchObject({ points: 80 });
    expect(again.body.entryId).toBe(first.body.entryId);
    expect((await ledger.memberPoints(m.memberId)).balance).toBe(before);
  });
});
