import { type Db, databaseCache } from '../platform/index.ts';

export type MembershipSettings = {
  growthWindowMonths: number;
  tierReviewMonths: number;
  trialDays: number;
  closingPointsPolicy: 'forfeit' | 'pay_out';
  newMemberDays: number;
  dormantAfterDays: number;
  superUserPercent: number;
  renewalReminderDays: number;
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
    renewalReminderDays: row.renewal_reminder_days,
  };
}

/**
 * The membership rules as growth events and member views need them, from this process's
 * cache: a change to the row is seen within 15 s.
 */
export function cachedMembershipSettings(db: Db): Promise<MembershipSettings> {
  return membershipSettings.get(db, 'settings');
}

const membershipSettings = databaseCache<MembershipSettings>({
  ttlMs: 15_000,
  max: 1,
  load: (db) => loadMembershipSettings(db),
});

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
