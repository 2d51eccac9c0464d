import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  availableBenefits,
  createPaidPlan,
  publishBenefit,
  recordBenefitUse,
  startTrial,
  withdrawBenefit,
} from '../../members/index.ts';
import { manualClock } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { createMember, createPartner, recordPurchase } from '../support/members.ts';

// 2026-04-30 20:00 UTC is already 1 May 04:00 in Shanghai: periods follow the alliance's zone.
const clock = manualClock(new Date('2026-04-20T02:00:00Z'));
let hub: TestHub;
let tea: string;
let books: string;

beforeAll(async () => {
  hub = await createTestHub({ clock });
  tea = await createPartner(hub.services.db, 'tea');
  books = await createPartner(hub.services.db, 'books');
  await hub.services.db.insertInto('alliance').values({ name: 'Test Alliance' }).execute();
  await createPaidPlan(hub.services.db, { code: 'super', name: 'Super', feeMinor: 88800 });
  await publishBenefit(hub.services, {
    partnerId: null,
    code: 'free-shipping',
    title: '5 free deliveries a month',
    kind: 'free_shipping',
    params: {},
    paidOnly: true,
    usageLimit: { count: 5, period: 'month' },
  });
  await publishBenefit(hub.services, {
    partnerId: tea,
    code: 'tea-95',
    title: '5% off tea',
    kind: 'discount_rate',
    params: { rateBp: 9500 },
  });
  await publishBenefit(hub.services, {
    partnerId: books,
    code: 'star2-lounge',
    title: 'Reading lounge',
    kind: 'service_perk',
    params: { perk: 'lounge access' },
    targetTiers: ['star2', 'star3'],
  });
});
afterAll(async () => {
  await hub.close();
});

const codes = (list: { code: string }[]) => list.map((b) => b.code).sort();

describe('available benefits', () => {
  it('show an ordinary member only what is for everyone, across brands', async () => {
    const member = await createMember(hub.services);
    const list = await availableBenefits(hub.services, member.id);
    expect(codes(list)).toEqual(['tea-95']);
    expect(list[0]).toMatchObject({
      publisher: { partnerId: tea, code: 'tea', brand: 'tea' },
      usesLeft: null,
    });
  });

  it('add tier benefits when the tier is reached, and paid-only ones on a trial', async () => {
    const member = await createMember(hub.services);
    await recordPurchase(hub.services, member.id, tea, 200000);
    expect(codes(await availableBenefits(hub.services, member.id))).toEqual([
      'star2-lounge',
      'tea-95',
    ]);
    await startTrial(hub.services, { memberId: member.id, planCode: 'super' });
    const list = await availableBenefits(hub.services, member.id);
    expect(codes(list)).toEqual(['free-shipping', 'star2-lounge', 'tea-95']);
    expect(list.find((b) => b.code === 'free-shipping')).toMatchObject({
      publisher: { hub: true },
      usesLeft: 5,
      periodEndsAt: new Date('2026-04-30T16:00:00Z'),
    });
  });

  it('count uses per calendar month in the alliance’s time zone, and refuse when exhausted', async () => {
    clock.set(new Date('2026-04-20T02:00:00Z'));
    const member = await createMember(hub.services);
    await startTrial(hub.services, { memberId: member.id, planCode: 'super' });
    const [shipping] = (await availableBenefits(hub.services, member.id)).filter(
      (b) => b.code === 'free-shipping',
    );
    if (!shipping) throw new Error('free shipping not offered');
    for (let i = 1; i <= 5; i++) {
      const use = await recordBenefitUse(hub.services, {
        memberId: member.id,
        benefitId: shipping.id,
        usedAtPartnerId: books,
        idempotencyKey: `delivery-${i}`,
      });
      expect(use).toMatchObject({ duplicate: false, usesLeft: 5 - i });
    }
    const repeat = await recordBenefitUse(hub.services, {
      memberId: member.id,
      benefitId: shipping.id,
      usedAtPartnerId: books,
      idempotencyKey: 'delivery-5',
    });
    expect(repeat).toMatchObject({ duplicate: true, usesLeft: 0 });
    await expect(
      recordBenefitUse(hub.services, {
        memberId: member.id,
        benefitId: shipping.id,
        usedAtPartnerId: books,
        idempotencyKey: 'delivery-6',
      }),
    ).rejects.toMatchObject({ type: 'business_rule', extra: { reason: 'benefit_exhausted' } });
    expect(codes(await availableBenefits(hub.services, member.id))).not.toContain('free-shipping');

    // 1 May has begun in Shanghai while it is still 30 April in UTC: a new month of uses.
    clock.set(new Date('2026-04-30T16:00:00Z'));
    const next = await availableBenefits(hub.services, member.id);
    expect(next.find((b) => b.code === 'free-shipping')).toMatchObject({ usesLeft: 5 });
  });

  it('refuse a use by a member the benefit is not for, and at another brand', async () => {
    const member = await createMember(hub.services);
    const lounge = await hub.services.db
      .selectFrom('benefits')
      .select('id')
      .where('code', '=', 'star2-lounge')
      .executeTakeFirstOrThrow();
    await expect(
      recordBenefitUse(hub.services, {
        memberId: member.id,
        benefitId: lounge.id,
        usedAtPartnerId: books,
        idempotencyKey: 'x',
      }),
    ).rejects.toMatchObject({ extra: { reason: 'benefit_not_available' } });
    const [teaDiscount] = await availableBenefits(hub.services, member.id);
    await expect(
      recordBenefitUse(hub.services, {
        memberId: member.id,
        benefitId: teaDiscount?.id ?? '',
        usedAtPartnerId: books,
        idempotencyKey: 'y',
      }),
    ).rejects.toMatchObject({ type: 'forbidden' });
  });

  it('hide withdrawn benefits and those outside their window; validate parameters', async () => {
    const member = await createMember(hub.services);
    const later = await publishBenefit(hub.services, {
      partnerId: tea,
      code: 'autumn',
      title: 'Autumn coupon',
      kind: 'coupon',
      params: { amountOffMinor: 1000, minSpendMinor: 5000 },
      validFrom: new Date(clock.now().getTime() + 86_400_000),
    });
    expect(codes(await availableBenefits(hub.services, member.id))).not.toContain('autumn');
    clock.advanceMs(86_400_000);
    expect(codes(await availableBenefits(hub.services, member.id))).toContain('autumn');
    await expect(
      withdrawBenefit(hub.services, { partnerId: books, benefitId: later.id }),
    ).rejects.toMatchObject({ type: 'not_found' });
    await withdrawBenefit(hub.services, { partnerId: tea, benefitId: later.id });
    expect(codes(await availableBenefits(hub.services, member.id))).not.toContain('autumn');

    await expect(
      publishBenefit(hub.services, {
        partnerId: tea,
        code: 'bad',
        title: 'Bad',
        kind: 'discount_rate',
        params: { rateBp: 0 },
      }),
    ).rejects.toMatchObject({ type: 'validation_failed', fields: [{ field: 'params.rateBp' }] });
  });
});
