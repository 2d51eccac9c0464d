/**
 * The demo alliance's counter activity: purchases at several brands earn points, and one
 * member spends points earned at one brand at another brand's counter. Idempotent: every
 * purchase and redemption is keyed by its demo order id, which earns or redeems once.
 */
import { createCounter } from '../counter/index.ts';
import type { Domains } from '../domains.ts';
import { createLedger } from '../ledger/index.ts';
import { enrolAtPartner, findMemberByPhone, issuePayCode, memberLinks } from '../members/index.ts';
import type { Services } from '../platform/index.ts';

const demoPurchases = [
  {
    orderId: 'DEMO-P-0001',
    partner: 'jade-tea',
    store: 'SH-001',
    phone: '+8613800000001',
    amountMinor: 45_800,
  },
  {
    orderId: 'DEMO-P-0002',
    partner: 'north-books',
    store: 'BJ-010',
    phone: '+8613800000001',
    amountMinor: 12_900,
  },
  {
    orderId: 'DEMO-P-0003',
    partner: 'harbor-cinema',
    store: 'GZ-100',
    phone: '+8613800000002',
    amountMinor: 16_000,
  },
  {
    orderId: 'DEMO-P-0004',
    partner: 'lotus-fresh',
    store: 'HZ-7',
    phone: '+8613800000003',
    amountMinor: 30_250,
  },
  {
    orderId: 'DEMO-P-0005',
    partner: 'jade-tea',
    store: 'SH-002',
    phone: '+8613800000004',
    amountMinor: 8_800,
  },
];

/** Points earned at Jade Tea, spent at Harbor Cinema: an obligation between two brands. */
const demoRedemptions = [
  {
    orderId: 'DEMO-R-0001',
    partner: 'harbor-cinema',
    store: 'SZ-200',
    phone: '+8613800000001',
    orderAmountMinor: 9_000,
    points: 300,
  },
];

/**
 * The demo's counter activity is booked a day in the past, so that the demo alliance has a
 * period that is over and can be settled, approved and paid right away.
 */
export async function seedDemoCounter(live: Services, domains: Domains): Promise<void> {
  const yesterday = new Date(live.clock.now().getTime() - 24 * 3600 * 1000);
  const services: Services = { ...live, clock: { now: () => yesterday } };
  const ledger = createLedger(services);
  const partners = await services.db.selectFrom('partners').select(['id', 'code']).execute();
  const partnerId = (code: string) => partners.find((p) => p.code === code)?.id;
  const counter = createCounter({ services, ledger, clearing: domains.clearing });
  for (const p of demoPurchases) {
    const [partner, member] = [partnerId(p.partner), await findMemberByPhone(services.db, p.phone)];
    if (!partner || !member) continue;
    const seen = await services.db
      .selectFrom('counter_purchases')
      .select('order_id')
      .where('partner_id', '=', partner)
      .where('order_id', '=', p.orderId)
      .executeTakeFirst();
    if (seen) continue;
    // At the till the member gives their phone: the partner links its customer id (the step a
    // partner may take without the member's consent to share), then earns for that customer.
    const [link] = await memberLinks(services.db, member.id, partner);
    const customerId = link?.partnerCustomerId ?? `DEMO-${p.partner}-${p.phone.slice(-2)}`;
    if (!link) {
      await enrolAtPartner(services, {
        partnerId: partner,
        partnerCustomerId: customerId,
        phone: p.phone,
      });
    }
    await counter.earn(partner, {
      orderId: p.orderId,
      storeCode: p.store,
      amountMinor: p.amountMinor,
      purchasedAt: services.clock.now(),
      member: { customerId },
    });
  }
  for (const r of demoRedemptions) {
    const [partner, member] = [partnerId(r.partner), await findMemberByPhone(services.db, r.phone)];
    if (!partner || !member) continue;
    const seen = await services.db
      .selectFrom('counter_redemptions')
      .select('order_id')
      .where('partner_id', '=', partner)
      .where('order_id', '=', r.orderId)
      .executeTakeFirst();
    if (seen) continue;
    const code = await issuePayCode(services, member.id);
    await counter.redeem(partner, {
      payCode: code.code,
      storeCode: r.store,
      orderId: r.orderId,
      orderAmountMinor: r.orderAmountMinor,
      points: r.points,
    });
  }
  await counter.close();
  await ledger.close();
}
