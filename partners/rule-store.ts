import { sql } from 'kysely';
import { type Db, databaseCache } from '../platform/index.ts';
import { keyCacheTtlMs } from './keys.ts';
import {
  type BurnRule,
  BurnRuleSchema,
  defaultBurnRule,
  defaultEarnRule,
  type EarnRule,
  EarnRuleSchema,
} from './rules.ts';

/** Where the rules live: one row per partner; a partner without one uses the defaults. */

export type PartnerRules = { earn: EarnRule; burn: BurnRule; timeZone: string };

/** The alliance's limits a counter works within: how long points live, how long a hold waits. */
export type CounterPolicy = { lifetimeMs: number; holdTtlMs: number };

export type CounterRules = { rules: PartnerRules; policy: CounterPolicy };

/** The rules in force, read now (what the rule APIs show). */
export async function getPartnerRules(db: Db, partnerId: string): Promise<PartnerRules> {
  return (await loadCounterRules(db, partnerId)).rules;
}

/**
 * The rules and policy every counter call needs, from this process's cache: a change made
 * here applies at once, one made by another process when it is announced (partner-changed) or
 * within keyCacheTtlMs at the latest, the bound for the partner's keys too.
 */
export function getCounterRules(db: Db, partnerId: string): Promise<CounterRules> {
  return counterRules.get(db, partnerId);
}

export function invalidateCounterRules(db: Db, partnerId: string): void {
  counterRules.invalidate(db, partnerId);
}

const counterRules = databaseCache<CounterRules>({
  ttlMs: keyCacheTtlMs,
  max: 10_000,
  load: (db, partnerId) => loadCounterRules(db, partnerId),
});

/** A partner's rules and the alliance's counter policy, from the same two reads. */
async function loadCounterRules(db: Db, partnerId: string): Promise<CounterRules> {
  const [row, alliance] = await Promise.all([
    db
      .selectFrom('partner_rules')
      .select(['earn_rule', 'burn_rule'])
      .where('partner_id', '=', partnerId)
      .executeTakeFirst(),
    db
      .selectFrom('alliance')
      .select(['point_value_minor', 'time_zone', 'points_lifetime_days', 'hold_ttl_seconds'])
      .executeTakeFirst(),
  ]);
  // Stored documents were validated on the way in; parsing again fills defaults added since.
  const earn = row?.earn_rule ? EarnRuleSchema.parse(row.earn_rule) : defaultEarnRule;
  const burn = row?.burn_rule ? BurnRuleSchema.parse(row.burn_rule) : defaultBurnRule;
  return {
    rules: {
      earn,
      burn: { ...burn, pointValueMinor: alliance?.point_value_minor ?? '1' },
      timeZone: alliance?.time_zone ?? 'Asia/Shanghai',
    },
    policy: {
      lifetimeMs: (alliance?.points_lifetime_days ?? 730) * 86_400_000,
      holdTtlMs: (alliance?.hold_ttl_seconds ?? 900) * 1000,
    },
  };
}

async function saveRule(
  db: Db,
  partnerId: string,
  change: { earn_rule: Record<string, unknown> } | { burn_rule: Record<string, unknown> },
  at: Date,
): Promise<void> {
  await db
    .insertInto('partner_rules')
    .values({ partner_id: partnerId, updated_at: at, ...change })
    .onConflict((oc) => oc.column('partner_id').doUpdateSet({ ...change, updated_at: at }))
    .execute();
  invalidateCounterRules(db, partnerId);
}

export async function setEarnRule(db: Db, partnerId: string, rule: EarnRule, at: Date) {
  await saveRule(db, partnerId, { earn_rule: { ...rule } }, at);
}

export async function setBurnRule(
  db: Db,
  partnerId: string,
  rule: Omit<BurnRule, 'pointValueMinor'>,
  at: Date,
) {
  await saveRule(db, partnerId, { burn_rule: { maxShare: rule.maxShare } }, at);
}

/** A partner whose earn rule multiplies paid members' points: what the paid offer lists. */
export type PaidMultiplier = { partnerId: string; brand: string; multiplier: string };

/** Active partners whose earn rule gives paid members more than the plain rate. */
export async function paidMultipliers(db: Db): Promise<PaidMultiplier[]> {
  const rows = await db
    .selectFrom('partner_rules as r')
    .innerJoin('partners as p', 'p.id', 'r.partner_id')
    .select(['p.id', 'p.brand', 'r.earn_rule'])
    .where('p.status', '=', 'active')
    .where(sql<boolean>`r.earn_rule ->> 'paidMemberMultiplier' IS DISTINCT FROM '1'`)
    .where(sql<boolean>`r.earn_rule ? 'paidMemberMultiplier'`)
    .orderBy('p.brand')
    .execute();
  return rows.flatMap((r) => {
    const rule = r.earn_rule ? EarnRuleSchema.parse(r.earn_rule) : defaultEarnRule;
    return rule.paidMemberMultiplier === '1'
      ? []
      : [{ partnerId: r.id, brand: r.brand, multiplier: rule.paidMemberMultiplier }];
  });
}
