import { z } from 'zod';
import {
  type ActivityGrowthRule,
  type ActivityKind,
  AppError,
  type AuditActor,
  type CacheBus,
  type Db,
  databaseCache,
  recordAudit,
} from '../platform/index.ts';

export type MembershipSettings = {
  growthWindowMonths: number;
  tierReviewMonths: number;
  trialDays: number;
  closingPointsPolicy: 'forfeit' | 'pay_out';
  newMemberDays: number;
  dormantAfterDays: number;
  superUserPercent: number;
  renewalReminderDays: number;
  /** Growth a reported check-in, review or login is worth, and how many count a day. */
  activityGrowth: Record<ActivityKind, ActivityGrowthRule>;
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
    activityGrowth: row.activity_growth,
  };
}

const days = (max: number) => z.int().min(1).max(max);
const activityRule = z.strictObject({
  amount: z.int().min(1).max(1_000_000),
  dailyCap: z.int().min(0).max(100),
});

/** What an operator may change, each field within the bounds the database also enforces. */
export const MembershipSettingsChangesSchema = z.strictObject({
  growthWindowMonths: z.int().min(1).max(120).optional(),
  tierReviewMonths: z.int().min(1).max(120).optional(),
  trialDays: days(366).optional(),
  newMemberDays: days(366).optional(),
  dormantAfterDays: days(3660).optional(),
  superUserPercent: z.int().min(1).max(100).optional(),
  renewalReminderDays: days(60).optional(),
  activityGrowth: z
    .strictObject({
      check_in: activityRule.optional(),
      review: activityRule.optional(),
      login: activityRule.optional(),
    })
    .optional(),
});
export type MembershipSettingsChanges = z.infer<typeof MembershipSettingsChangesSchema>;

/**
 * An operator changes the membership rules: validated first, written with the audit line (the
 * rules before and after) in one transaction, then announced so that every hub process reads
 * the new rules at once.
 */
export async function updateMembershipSettings(
  deps: { db: Db; clock: { now(): Date }; caches: CacheBus },
  changes: MembershipSettingsChanges,
  actor: AuditActor,
): Promise<MembershipSettings> {
  const parsed = MembershipSettingsChangesSchema.safeParse(changes);
  if (!parsed.success) {
    throw new AppError('validation_failed', 'Some settings are not valid.', {
      fields: parsed.error.issues.map((i) => ({ field: i.path.join('.'), reason: i.message })),
    });
  }
  const c = parsed.data;
  const after = await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock.now();
    await tx.selectFrom('membership_settings').select('id').forUpdate().execute();
    const before = await loadMembershipSettings(tx);
    await tx
      .updateTable('membership_settings')
      .set({
        growth_window_months: c.growthWindowMonths ?? before.growthWindowMonths,
        tier_review_months: c.tierReviewMonths ?? before.tierReviewMonths,
        trial_days: c.trialDays ?? before.trialDays,
        new_member_days: c.newMemberDays ?? before.newMemberDays,
        dormant_after_days: c.dormantAfterDays ?? before.dormantAfterDays,
        super_user_percent: c.superUserPercent ?? before.superUserPercent,
        renewal_reminder_days: c.renewalReminderDays ?? before.renewalReminderDays,
        activity_growth: { ...before.activityGrowth, ...c.activityGrowth },
        updated_at: now,
      })
      .where('id', '=', 1)
      .execute();
    const after = await loadMembershipSettings(tx);
    await recordAudit(tx, {
      actor,
      action: 'settings.membership',
      subject: 'alliance',
      before,
      after,
      at: now,
    });
    return after;
  });
  await deps.caches.announce(['membership-settings']);
  return after;
}

/**
 * The membership rules as growth events and member views need them, from this process's
 * cache: a change to the row is seen within 15 s.
 */
export function cachedMembershipSettings(db: Db): Promise<MembershipSettings> {
  return membershipSettings.get(db, 'settings');
}

const membershipSettings = databaseCache<MembershipSettings>({
  name: 'membership-settings',
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
