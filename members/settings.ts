import { type Db, databaseCache } from '../platform/index.ts';

export type MembershipSettings = {
  growthWindowMonths: number;
  tierReviewMonths: number;
  trialDays: number;
  closingPointsPolicy: 'forfeit' | 'pay_out';
  newMemberDays: number;
  dormantAfterDays: number;
  superUserPercent: number;
};

/** The alliance's membership rules (one row, created with defaults by the migration). */
export async function loadMembershipSettings(db: Db): Promise<MembershipSettings> {
  const row = await db
    .selectFrom('membership_settings')
    .selectAll()
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return {
    growthWindowMonths: row.growth_window_months,
    tierReviewMonths: row.tier_review_months,
    trialDays: row.trial_days,
    closingPointsPolicy: row.closing_points_policy,
    newMemberDays: row.new_member_days,
    dormantAfterDays: row.dormant_after_days,
    superUserPercent: row.super_user_percent,
  };
}

/**
 * The membership rules as every growth event needs them, from this process's cache: a change
 * made through updateMembershipSettings applies here at once, one made by another process
 * within 15 s.
 */
export function cachedMembershipSettings(db: Db): Promise<MembershipSettings> {
  return membershipSettings.get(db, 'settings');
}

const membershipSettings = databaseCache<MembershipSettings>({
  ttlMs: 15_000,
  max: 1,
  load: (db) => loadMembershipSettings(db),
});

export async function updateMembershipSettings(
  db: Db,
  changes: Partial<MembershipSettings>,
): Promise<MembershipSettings> {
  const set: Record<string, unknown> = {};
  if (changes.growthWindowMonths !== undefined)
    set.growth_window_months = changes.growthWindowMonths;
  if (changes.tierReviewMonths !== undefined) set.tier_review_months = changes.tierReviewMonths;
  if (changes.trialDays !== undefined) set.trial_days = changes.trialDays;
  if (changes.closingPointsPolicy !== undefined)
    set.closing_points_policy = changes.closingPointsPolicy;
  if (changes.newMemberDays !== undefined) set.new_member_days = changes.newMemberDays;
  if (changes.dormantAfterDays !== undefined) set.dormant_after_days = changes.dormantAfterDays;
  if (changes.superUserPercent !== undefined) set.super_user_percent = changes.superUserPercent;
  if (Object.keys(set).length > 0) {
    await db.updateTable('membership_settings').set(set).where('id', '=', 1).execute();
    membershipSettings.invalidate(db);
  }
  return loadMembershipSettings(db);
}

/** `months` calendar months after `at`, as PostgreSQL's interval arithmetic counts them. */
export function addMonths(at: Date, months: number): Date {
  const d = new Date(at.getTime());
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, lastDay));
  return d;
}

export function addDays(at: Date, days: number): Date {
  return new Date(at.getTime() + days * 86_400_000);
}
