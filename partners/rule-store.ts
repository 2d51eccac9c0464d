import { sql } from 'kysely';
import {
  AppError,
  type AuditActor,
  type CacheBus,
  type Db,
  databaseCache,
  recordAudit,
} from '../platform/index.ts';
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

/**
 * The limits a counter works within: how long points live, how long a hold waits (the
 * alliance's), and the most of this partner's points that may be outstanding (null: no cap).
 */
export type CounterPolicy = {
  lifetimeMs: number;
  holdTtlMs: number;
  outstandingPointsMax: number | null;
};

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
  name: 'counter-rules',
  ttlMs: keyCacheTtlMs,
  max: 10_000,
  load: (db, partnerId) => loadCounterRules(db, partnerId),
});

/** A partner's rules and the alliance's counter policy, from the same two reads. */
async function loadCounterRules(db: Db, partnerId: string): Promise<CounterRules> {
  const [row, alliance] = await Promise.all([
    db
      .selectFrom('partner_rules')
      .select(['earn_rule', 'burn_rule', 'outstanding_points_max'])
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
      outstandingPointsMax: row?.outstanding_points_max ?? null,
    },
  };
}

async function saveRule(
  db: Db,
  partnerId: string,
  change:
    | { earn_rule: Record<string, unknown> }
    | { burn_rule: Record<string, unknown> }
    | { outstanding_points_max: number | null },
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

/** The issuer's cap on outstanding points, or null for none. */
export async function getOutstandingPointsMax(db: Db, partnerId: string): Promise<number | null> {
  const row = await db
    .selectFrom('partner_rules')
    .select('outstanding_points_max')
    .where('partner_id', '=', partnerId)
    .executeTakeFirst();
  return row?.outstanding_points_max ?? null;
}

/**
 * Caps the points of this issuer that may be outstanding (null lifts the cap). Accruals that
 * would pass it are refused; points already out stay out, whatever the cap.
 */
export async function setOutstandingPointsMax(
  db: Db,
  partnerId: string,
  pointsMax: number | null,
  at: Date,
): Promise<void> {
  await saveRule(db, partnerId, { outstanding_points_max: pointsMax }, at);
}

/** Every capped issuer's cap (few partners have one). */
export async function outstandingPointsCaps(db: Db): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('partner_rules')
    .select(['partner_id', 'outstanding_points_max'])
    .where('outstanding_points_max', 'is not', null)
    .execute();
  return new Map(
    rows.flatMap((r) =>
      r.outstanding_points_max === null ? [] : [[r.partner_id, r.outstanding_points_max]],
    ),
  );
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

export type CounterPolicyChanges = { pointsLifetimeDays?: number; holdTtlSeconds?: number };

/** Bounds of the counter's policy, as the admin API states them. */
export const counterPolicyBounds = {
  pointsLifetimeDays: { min: 1, max: 3650 },
  holdTtlSeconds: { min: 60, max: 86_400 },
} as const;

/**
 * An operator changes how long accrued points live (for purchases from now on: points already
 * earned keep their expiry) or how long a till's hold lasts: audited with the policy before
 * and after, then announced so every process's counter applies it at once.
 */
export async function updateCounterPolicy(
  deps: { db: Db; clock: { now(): Date }; caches: CacheBus },
  changes: CounterPolicyChanges,
  actor: AuditActor,
): Promise<{ pointsLifetimeDays: number; holdTtlSeconds: number }> {
  const fields = Object.entries(counterPolicyBounds).flatMap(([field, { min, max }]) => {
    const value = changes[field as keyof CounterPolicyChanges];
    return value === undefined || (Number.isInteger(value) && value >= min && value <= max)
      ? []
      : [{ field, reason: `an integer from ${min} to ${max}` }];
  });
  if (fields.length > 0)
    throw new AppError('validation_failed', 'Some settings are not valid.', { fields });
  const after = await deps.db.transaction().execute(async (tx) => {
    // A hub whose alliance row was never written runs on the columns' defaults: the first
    // change writes the row with them.
    await sql`INSERT INTO alliance (id, name) VALUES (1, 'Alliance') ON CONFLICT (id) DO NOTHING`.execute(
      tx,
    );
    const before = await tx
      .selectFrom('alliance')
      .select(['points_lifetime_days', 'hold_ttl_seconds'])
      .where('id', '=', 1)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const next = {
      pointsLifetimeDays: changes.pointsLifetimeDays ?? before.points_lifetime_days,
      holdTtlSeconds: changes.holdTtlSeconds ?? before.hold_ttl_seconds,
    };
    await tx
      .updateTable('alliance')
      .set({ points_lifetime_days: next.pointsLifetimeDays, hold_ttl_seconds: next.holdTtlSeconds })
      .where('id', '=', 1)
      .execute();
    await recordAudit(tx, {
      actor,
      action: 'settings.points',
      subject: 'alliance',
      before: {
        pointsLifetimeDays: before.points_lifetime_days,
        holdTtlSeconds: before.hold_ttl_seconds,
      },
      after: next,
      at: deps.clock.now(),
    });
    return next;
  });
  await deps.caches.announce(['counter-rules']);
  return after;
}

/** The counter's policy as it stands. */
export async function counterPolicySettings(
  db: Db,
): Promise<{ pointsLifetimeDays: number; holdTtlSeconds: number }> {
  const row = await db
    .selectFrom('alliance')
    .select(['points_lifetime_days', 'hold_ttl_seconds'])
    .where('id', '=', 1)
    .executeTakeFirst();
  return {
    pointsLifetimeDays: row?.points_lifetime_days ?? 730,
    holdTtlSeconds: row?.hold_ttl_seconds ?? 900,
  };
}
