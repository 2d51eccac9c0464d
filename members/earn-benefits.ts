import { sql } from 'kysely';
import { type Db, databaseCache, type UsagePeriod } from '../platform/index.ts';
import { allianceTimeZone } from './benefits.ts';

/**
 * Benefits that change what a purchase earns (kind earn_multiplier: "double points for super
 * members"), as the counter's batches apply them. The catalog is small and read through a
 * cache, so a batch decides eligibility in memory by the same rules as availableBenefits
 * (active, in its window, the publishing partner or the hub, the member's tier and paid
 * status); only limited benefits cost a query, for their uses this period.
 */

export type EarnBenefit = {
  id: string;
  /** The publishing partner; null: the hub's, for purchases at every partner. */
  partnerId: string | null;
  code: string;
  title: string;
  multiplier: string;
  targetTiers: string[] | null;
  paidOnly: boolean;
  validFrom: Date;
  validUntil: Date | null;
  usageLimit: { count: number; period: UsagePeriod } | null;
};

async function loadEarnBenefits(db: Db): Promise<EarnBenefit[]> {
  const rows = await db
    .selectFrom('benefits as b')
    .leftJoin('partners as p', 'p.id', 'b.partner_id')
    .selectAll('b')
    .where('b.kind', '=', 'earn_multiplier')
    .where('b.status', '=', 'active')
    .where((eb) => eb.or([eb('b.partner_id', 'is', null), eb('p.status', '=', 'active')]))
    .orderBy('b.created_at')
    .execute();
  return rows.map((b) => ({
    id: b.id,
    partnerId: b.partner_id,
    code: b.code,
    title: b.title,
    multiplier: String(b.params.multiplier ?? '1'),
    targetTiers: b.target_tiers,
    paidOnly: b.paid_only,
    validFrom: b.valid_from,
    validUntil: b.valid_until,
    usageLimit:
      b.usage_limit !== null && b.usage_period !== null
        ? { count: b.usage_limit, period: b.usage_period }
        : null,
  }));
}

const earnBenefitCatalog = databaseCache<EarnBenefit[]>({
  name: 'earn-benefits',
  ttlMs: 15_000,
  max: 1,
  load: (db) => loadEarnBenefits(db),
});

/** The earn multipliers on offer, from this process's cache (a change is seen within 15 s). */
export function cachedEarnBenefits(db: Db): Promise<EarnBenefit[]> {
  return earnBenefitCatalog.get(db, 'catalog');
}

/** A benefit change made in this process applies to its next purchase at once. */
export function forgetEarnBenefits(db: Db): void {
  earnBenefitCatalog.invalidate(db);
}

/** Those a member of this tier and paid status may use at this partner now, best first. */
export function earnBenefitsAt(
  catalog: EarnBenefit[],
  at: { partnerId: string; tierCode: string; paid: boolean; now: Date },
): EarnBenefit[] {
  return catalog.filter(
    (b) =>
      (b.partnerId === null || b.partnerId === at.partnerId) &&
      b.validFrom <= at.now &&
      (b.validUntil === null || b.validUntil > at.now) &&
      (b.targetTiers === null || b.targetTiers.includes(at.tierCode)) &&
      (!b.paidOnly || at.paid),
  );
}

/** Uses this period of limited benefits by members, keyed `${benefitId} ${memberId}`. */
export async function earnBenefitUses(
  tx: Db,
  pairs: Array<{ benefit: EarnBenefit; memberId: string }>,
  now: Date,
): Promise<Map<string, number>> {
  // One row per (benefit, member): a member with two purchases in a batch is counted once.
  const unique = new Map<string, { benefit: EarnBenefit; memberId: string }>();
  for (const p of pairs) {
    if (p.benefit.usageLimit !== null) unique.set(`${p.benefit.id} ${p.memberId}`, p);
  }
  const limited = [...unique.values()];
  if (limited.length === 0) return new Map();
  const { rows } = await sql<{ benefit_id: string; member_id: string; used: number }>`
    SELECT w.benefit_id, w.member_id, count(u.id)::int8 AS used
    FROM unnest(${limited.map((p) => p.benefit.id)}::uuid[], ${limited.map((p) => p.memberId)}::uuid[],
      ${limited.map((p) => p.benefit.usageLimit?.period ?? 'lifetime')}::text[]) AS w(benefit_id, member_id, period)
    LEFT JOIN benefit_uses u ON u.benefit_id = w.benefit_id AND u.member_id = w.member_id
      AND u.period_start = benefit_period_start(w.period, ${now.toISOString()}::timestamptz, ${allianceTimeZone})
    GROUP BY 1, 2`.execute(tx);
  return new Map(rows.map((r) => [`${r.benefit_id} ${r.member_id}`, Number(r.used)]));
}

/** Counts the uses of limited benefits that purchases applied, in the batch's transaction. */
export async function recordEarnBenefitUses(
  tx: Db,
  uses: Array<{
    id: string;
    benefit: EarnBenefit;
    memberId: string;
    partnerId: string;
    key: string;
  }>,
  now: Date,
): Promise<void> {
  const limited = uses.filter((u) => u.benefit.usageLimit !== null);
  if (limited.length === 0) return;
  await sql`
    INSERT INTO benefit_uses (id, benefit_id, member_id, used_at_partner_id, period_start, idempotency_key, used_at)
    SELECT w.id, w.benefit_id, w.member_id, w.partner_id,
      benefit_period_start(w.period, ${now.toISOString()}::timestamptz, ${allianceTimeZone}), w.key,
      ${now.toISOString()}::timestamptz
    FROM unnest(${limited.map((u) => u.id)}::uuid[], ${limited.map((u) => u.benefit.id)}::uuid[],
      ${limited.map((u) => u.memberId)}::uuid[], ${limited.map((u) => u.partnerId)}::uuid[],
      ${limited.map((u) => u.benefit.usageLimit?.period ?? 'lifetime')}::text[], ${limited.map((u) => u.key)}::text[])
      AS w(id, benefit_id, member_id, partner_id, period, key)
    ON CONFLICT (benefit_id, member_id, idempotency_key) DO NOTHING`.execute(tx);
}
