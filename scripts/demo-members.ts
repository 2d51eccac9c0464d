/**
 * The demo alliance's membership: members in several tiers, one paid member and one on trial,
 * links to brands' customer ids, and benefits from the hub and from each brand. Idempotent:
 * everything is keyed (event references, idempotency keys, benefit codes) and added only where
 * missing.
 */

import type { Ledger } from '../ledger/index.ts';
import {
  buyPaidMembership,
  createPaidPlan,
  demoPaymentProvider,
  findMemberByPhone,
  findPaidPlan,
  linkPartnerCustomer,
  membershipFeeRecorder,
  type PublishBenefitInput,
  paidStatus,
  publishBenefit,
  recordGrowthEvent,
  startTrial,
} from '../members/index.ts';
import { type Db, systemClock } from '../platform/index.ts';

/** Rolling spend (fen) that puts each demo member in a tier, and who pays or tries. */
const demoMembership = [
  { phone: '+8613800000001', spendMinor: 320000, partner: 'jade-tea', paid: 'subscribe' },
  { phone: '+8613800000002', spendMinor: 210000, partner: 'north-books', paid: 'trial' },
  { phone: '+8613800000003', spendMinor: 65000, partner: 'harbor-cinema', paid: null },
  { phone: '+8613800000004', spendMinor: 12000, partner: 'lotus-fresh', paid: null },
] as const;

type DemoBenefit = Omit<PublishBenefitInput, 'partnerId'> & { partner: string | null };

const demoBenefits: DemoBenefit[] = [
  {
    partner: null,
    code: 'free-shipping',
    title: '5 free deliveries a month',
    description: 'Free delivery on any order from any brand of the alliance.',
    kind: 'free_shipping',
    params: {},
    paidOnly: true,
    usageLimit: { count: 5, period: 'month' },
  },
  {
    partner: 'jade-tea',
    code: 'member-price',
    title: 'Member price: 5% off every pot',
    kind: 'discount_rate',
    params: { rateBp: 9500 },
    targetTiers: ['star1', 'star2', 'star3'],
  },
  {
    partner: 'north-books',
    code: 'welcome-coupon',
    title: '10 CNY off orders over 100 CNY',
    kind: 'coupon',
    params: { amountOffMinor: 1000, minSpendMinor: 10000 },
    usageLimit: { count: 1, period: 'month' },
  },
  {
    partner: 'harbor-cinema',
    code: 'imax-upgrade',
    title: 'Free IMAX upgrade',
    kind: 'service_perk',
    params: { perk: 'IMAX seat upgrade' },
    targetTiers: ['star2', 'star3'],
    usageLimit: { count: 2, period: 'month' },
  },
  {
    partner: 'lotus-fresh',
    code: 'double-points',
    title: 'Double points for super members',
    kind: 'earn_multiplier',
    params: { multiplier: '2' },
    paidOnly: true,
  },
];

export async function seedDemoMembership(db: Db, ledger: Ledger): Promise<void> {
  const deps = { db, clock: systemClock };
  if (!(await findPaidPlan(db, 'super'))) {
    // 88VIP-style: 888 CNY a year, 88 CNY for 2-star members and above.
    await createPaidPlan(db, {
      code: 'super',
      name: 'Alliance Super Membership',
      feeMinor: 88800,
      tierFeesMinor: { star2: 8800, star3: 8800 },
    });
  }
  const partners = await db.selectFrom('partners').select(['id', 'code']).execute();
  const partnerId = (code: string) => partners.find((p) => p.code === code)?.id;

  for (const [i, demo] of demoMembership.entries()) {
    const member = await findMemberByPhone(db, demo.phone);
    const partner = partnerId(demo.partner);
    if (!member || !partner) continue;
    await linkPartnerCustomer(deps, {
      memberId: member.id,
      partnerId: partner,
      partnerCustomerId: `DEMO-${String(i + 1).padStart(4, '0')}`,
    });
    const eventRef = `demo-spend-${demo.phone}`;
    const seen = await db
      .selectFrom('growth_events')
      .select('id')
      .where('partner_id', '=', partner)
      .where('event_ref', '=', eventRef)
      .executeTakeFirst();
    if (!seen) {
      await recordGrowthEvent(deps, {
        memberId: member.id,
        partnerId: partner,
        kind: 'purchase',
        amount: demo.spendMinor,
        eventRef,
        occurredAt: systemClock.now(),
      });
    }
    const status = await paidStatus(deps, member.id);
    if (demo.paid === 'subscribe') {
      await buyPaidMembership(
        {
          ...deps,
          paymentProvider: demoPaymentProvider(),
          recordMembershipFee: membershipFeeRecorder(ledger),
        },
        {
          memberId: member.id,
          planCode: 'super',
          idempotencyKey: 'demo-first-year',
          purpose: 'subscribe',
        },
      );
    } else if (demo.paid === 'trial' && !status.trialUsed) {
      await startTrial(deps, { memberId: member.id, planCode: 'super' });
    }
  }

  for (const { partner, ...benefit } of demoBenefits) {
    const id = partner === null ? null : partnerId(partner);
    if (id === undefined) continue;
    let query = db.selectFrom('benefits').select('id').where('code', '=', benefit.code);
    query =
      id === null ? query.where('partner_id', 'is', null) : query.where('partner_id', '=', id);
    if (await query.executeTakeFirst()) continue;
    await publishBenefit(deps, { ...benefit, partnerId: id });
  }
}
