/**
 * The demo alliance unless one exists: a few partner brands with stores, and members.
 * Idempotent: everything is keyed by natural keys (partner code, store code, phone) and
 * inserted only where missing.
 */
import type { Domains } from '../domains.ts';
import {
  bankDetailsInForce,
  EarnRuleSchema,
  setBankDetails,
  setEarnRule,
} from '../partners/index.ts';
import { type Db, newId, type Services } from '../platform/index.ts';
import { seedDemoCounter } from './demo-counter.ts';
import { docsPartnerId, seedDocsKey } from './demo-keys.ts';
import { seedDemoMembership } from './demo-members.ts';
import { demoDormantMembers, seedDemoSegments } from './demo-segments.ts';
import { seedDemoWebhooks } from './demo-webhooks.ts';

type DemoPartner = { id?: string; code: string; name: string; brand: string; stores: string[] };
/** Jade Tea has the id of docs/signing.md's example (on a hub seeded after that was fixed). */
const demoPartners: DemoPartner[] = [
  {
    id: docsPartnerId,
    code: 'jade-tea',
    name: 'Jade Tea House Co.',
    brand: 'Jade Tea',
    stores: ['SH-001', 'SH-002'],
  },
  {
    code: 'north-books',
    name: 'North Star Books Ltd.',
    brand: 'North Star Books',
    stores: ['BJ-010'],
  },
  {
    code: 'harbor-cinema',
    name: 'Harbor Cinemas',
    brand: 'Harbor Cinema',
    stores: ['GZ-100', 'SZ-200'],
  },
  { code: 'lotus-fresh', name: 'Lotus Fresh Markets', brand: 'Lotus Fresh', stores: ['HZ-7'] },
];

/** Joined at different times, so that the segments tell newcomers from regulars. */
const demoMembers = [
  { phone: '+8613800000001', displayName: 'Li Wei', joinedDaysAgo: 730 },
  { phone: '+8613800000002', displayName: 'Wang Fang', joinedDaysAgo: 400 },
  { phone: '+8613800000003', displayName: 'Zhang Min', joinedDaysAgo: 120 },
  { phone: '+8613800000004', displayName: 'Chen Jie', joinedDaysAgo: 3 },
  ...demoDormantMembers,
];

/** Inserts whatever of the demo alliance is missing; returns what the alliance now holds. */
export async function seedDemoAlliance(
  services: Services,
  domains: Domains,
): Promise<{ partners: number; members: number }> {
  const db = services.db;
  await db.transaction().execute(async (tx) => {
    await tx
      .insertInto('alliance')
      .values({ name: 'Demo Alliance' })
      .onConflict((oc) => oc.doNothing())
      .execute();
    for (const p of demoPartners) {
      await tx
        .insertInto('partners')
        .values({ id: p.id ?? newId(), code: p.code, name: p.name, brand: p.brand })
        .onConflict((oc) => oc.column('code').doNothing())
        .execute();
      const partner = await tx
        .selectFrom('partners')
        .select('id')
        .where('code', '=', p.code)
        .executeTakeFirstOrThrow();
      await seedDemoBankDetails(tx, partner.id, p.name, services.clock.now());
      for (const storeCode of p.stores) {
        await tx
          .insertInto('stores')
          .values({
            id: newId(),
            partner_id: partner.id,
            code: storeCode,
            name: `${p.brand} ${storeCode}`,
          })
          .onConflict((oc) => oc.columns(['partner_id', 'code']).doNothing())
          .execute();
      }
    }
    for (const m of demoMembers) {
      await tx
        .insertInto('members')
        .values({
          id: newId(),
          phone: m.phone,
          display_name: m.displayName,
          created_at: new Date(services.clock.now().getTime() - m.joinedDaysAgo * 86_400_000),
        })
        .onConflict((oc) => oc.column('phone').doNothing())
        .execute();
    }
  });
  await seedDocsKey(db, (await partnerByCode(db, 'jade-tea')).id);
  const codes = demoPartners.map((p) => p.code);
  await seedDemoWebhooks(
    db,
    await db.selectFrom('partners').select(['id', 'code']).where('code', 'in', codes).execute(),
  );
  await seedDemoPaidRewards(services);
  await seedDemoMembership(db, domains.ledger);
  await seedDemoCounter(services, domains);
  await seedDemoSegments(services);
  const [partners, members] = await Promise.all([
    db.selectFrom('partners').select(db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    db.selectFrom('members').select(db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { partners: partners.n, members: members.n };
}

function partnerByCode(db: Services['db'], code: string) {
  return db.selectFrom('partners').select('id').where('code', '=', code).executeTakeFirstOrThrow();
}

/**
 * Jade Tea gives paid super-members half as many points again (its earn rule); Lotus Fresh
 * doubles theirs through a benefit (demo-members.ts). Set only where a partner has no rule yet.
 */
async function seedDemoPaidRewards(services: Services): Promise<void> {
  const { db } = services;
  const jade = await db
    .selectFrom('partners as p')
    .leftJoin('partner_rules as r', 'r.partner_id', 'p.id')
    .select(['p.id', 'r.partner_id as ruled'])
    .where('p.code', '=', 'jade-tea')
    .executeTakeFirst();
  if (!jade || jade.ruled !== null) return;
  const rule = EarnRuleSchema.parse({ paidMemberMultiplier: '1.5' });
  await setEarnRule(db, jade.id, rule, services.clock.now());
}

/**
 * Bank details for a demo partner that has none, made up from its name: the finance console's
 * payment file needs every partner with a net amount to have some.
 */
async function seedDemoBankDetails(tx: Db, partnerId: string, name: string, at: Date) {
  if ((await bankDetailsInForce(tx, [partnerId])).size > 0) return;
  const digits = [...name].reduce((n, ch) => (n * 31 + ch.charCodeAt(0)) % 1e10, 7);
  const details = {
    bankAccountName: name,
    bankAccountNumber: `622202${String(digits).padStart(10, '0')}`,
    currency: 'CNY',
  };
  await setBankDetails(tx, { partnerId, details, setBy: 'onboarding', at });
}
