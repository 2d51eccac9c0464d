import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import {
  createPaidPlan,
  currentPayCode,
  issueMemberSession,
  issuePayCode,
  publishBenefit,
  startTrial,
} from '../../members/index.ts';
import { manualClock } from '../../platform/index.ts';
import { type CounterFixture, counterFixture } from '../support/counter.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { expectSoundLedger } from '../support/ledger.ts';
import {
  idempotencyKey,
  newTestPartner,
  signedFetch,
  type TestApp,
  type TestPartner,
} from '../support/partners.ts';

// The till looks a member up once (tier and discount, paid status, points, the benefits usable
// here) and earns by the member code scanned from the member's app; benefits that change
// earning apply, and the answer names them.

const clock = manualClock(new Date('2026-10-05T08:00:00Z'));
let hub: TestHub;
let app: TestApp;
let lotus: TestPartner;
let till: CounterFixture;
let doublePoints: string;
let onceAMonth: string;

beforeAll(async () => {
  hub = await createTestHub({ clock });
  app = createApp(hub.services);
  lotus = await newTestPartner(hub);
  till = await counterFixture(hub, lotus.partner.id, { members: 3, points: 500 });
  await createPaidPlan(hub.services.db, { code: 'super', name: 'Super', feeMinor: 88800 });
  doublePoints = (
    await publishBenefit(hub.services, {
      partnerId: lotus.partner.id,
      code: 'double-super',
      title: 'Double points for super members',
      kind: 'earn_multiplier',
      params: { multiplier: '2' },
      paidOnly: true,
    })
  ).id;
  onceAMonth = (
    await publishBenefit(hub.services, {
      partnerId: lotus.partner.id,
      code: 'triple-once',
      title: 'Triple points, once a month',
      kind: 'earn_multiplier',
      params: { multiplier: '3' },
      targetTiers: ['star3'],
      usageLimit: { count: 1, period: 'month' },
    })
  ).id;
  // Member 0 is a super member (on trial); member 1 is not.
  await startTrial(hub.services, { memberId: member(0).memberId, planCode: 'super' });
});
afterEach(async () => {
  await expectSoundLedger(till.ledger);
});
afterAll(async () => {
  await hub.close();
});

function member(i: number) {
  const m = till.members[i];
  if (!m) throw new Error(`no member ${i}`);
  return m;
}

async function lookUp(query: string) {
  const res = await signedFetch(hub, app, lotus.key, {
    method: 'GET',
    path: `/v1/partner/members?${query}`,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function earn(body: unknown) {
  const res = await signedFetch(hub, app, lotus.key, {
    method: 'POST',
    path: '/v1/partner/accruals',
    body,
    idempotencyKey: idempotencyKey(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('the member at the till', () => {
  it('is one look by a scanned member code: tier and discount, paid status, points and the benefits usable here; the code stays good', async () => {
    const code = await issuePayCode(hub.services, member(0).memberId);
    const found = await lookUp(`memberCode=${code.code}`);
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({
      memberId: member(0).memberId,
      customerId: member(0).customerId,
      tier: 'ordinary',
      tierName: 'Ordinary',
      discountBp: 10000,
      paid: { paid: true, status: 'trial', trial: true, plan: 'super' },
      points: { available: 500, held: 0 },
    });
    const benefits = found.body.benefits as Array<{ id: string; usesLeft: number | null }>;
    expect(benefits.map((b) => b.id)).toEqual([doublePoints]);
    expect(benefits[0]?.usesLeft).toBeNull();
    // Identifying the member does not use the code up: it can still pay.
    expect(await currentPayCode(hub.services, member(0).memberId)).toMatchObject({
      code: code.code,
    });
  });

  it('refuses an unknown member code as a pay code, naming the field', async () => {
    const bad = await lookUp('memberCode=891234567890123456');
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ type: '/docs/problems#pay_code_invalid' });
    const wrongShape = await earn(till.purchase({ member: { memberCode: '12' } as never }));
    expect(wrongShape.status).toBe(400);
    expect(JSON.stringify(wrongShape.body)).toContain('member.memberCode');
  });
});

describe('earning with benefits', () => {
  it('doubles a super member’s points by the Lotus benefit, named in the answer, and counts it in saved so far', async () => {
    const code = await issuePayCode(hub.services, member(0).memberId);
    const paid = await earn(
      till.purchase({ amountMinor: 10_000, member: { memberCode: code.code } as never }),
    );
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({
      memberId: member(0).memberId,
      points: 200,
      benefits: [{ benefitId: doublePoints, kind: 'earn_multiplier', multiplier: '2' }],
      multipliers: expect.arrayContaining([
        { source: 'benefit', name: 'double-super', value: '2' },
      ]),
    });
    const plain = await earn(
      till.purchase({ amountMinor: 10_000, member: { customerId: member(1).customerId } }),
    );
    expect(plain.body).toMatchObject({ points: 100 });
    expect(plain.body.benefits).toBeUndefined();

    const token = (await issueMemberSession(hub.services, member(0).memberId)).token;
    const status = await app.request('/v1/me/paid-membership', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await status.json()).toMatchObject({
      savedSoFar: { extraPoints: 100, extraPointsValueMinor: 100, savedMinor: 100 },
    });
  });

  it('applies a benefit limited to one use a month once, then the plain rate, and again next month', async () => {
    const m = member(2);
    // Member 2 reaches 3-star with a big first purchase; the benefit applies from the next.
    await earn(till.purchase({ amountMinor: 300_000, member: { customerId: m.customerId } }));
    const first = await earn(
      till.purchase({ amountMinor: 10_000, member: { customerId: m.customerId } }),
    );
    expect(first.body).toMatchObject({ points: 600, benefits: [{ benefitId: onceAMonth }] });
    const second = await earn(
      till.purchase({ amountMinor: 10_000, member: { customerId: m.customerId } }),
    );
    expect(second.body).toMatchObject({ points: 200 });
    expect(second.body.benefits).toBeUndefined();
    const looked = await lookUp(`customerId=${m.customerId}`);
    const listed = looked.body.benefits as Array<{ id: string; usesLeft: number | null }>;
    expect(listed.find((b) => b.id === onceAMonth)?.usesLeft).toBe(0);

    clock.set(new Date('2026-11-02T08:00:00Z'));
    const nextMonth = await earn(
      till.purchase({ amountMinor: 10_000, member: { customerId: m.customerId } }),
    );
    expect(nextMonth.body).toMatchObject({ points: 600 });
  });
});
