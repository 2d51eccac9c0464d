import { sql } from 'kysely';
import { type ActivityKind, AppError, type Db } from '../platform/index.ts';
import { allianceTimeZone } from './benefits.ts';
import { growthValueAt } from './growth-value.ts';
import type { MemberDeps } from './members.ts';
import {
  type GrowthRules,
  recordGrowthEvent,
  type TierChangeView,
  type TierView,
} from './tiers.ts';

/**
 * Growth from what a member does besides buying: a partner reports a check-in, a review or a
 * login, and the alliance decides what it is worth and how many count a day (settings
 * activityGrowth; a day is the alliance's local day of the activity). The partner never
 * chooses the amount, so no partner can buy its members a tier. The same activity id counts
 * once; one past the day's cap is answered, not counted.
 */

export const activityKinds: readonly ActivityKind[] = ['check_in', 'review', 'login'];

export type ActivityResult = {
  memberId: string;
  kind: ActivityKind;
  /** False when the member had reached the day's cap for this kind: nothing was added. */
  counted: boolean;
  /** The activity had been reported before (the same activity id). */
  duplicate: boolean;
  growthAdded: number;
  growthValue: number;
  tier: TierView;
  tierChange: TierChangeView | null;
};

/** Activities of one kind the member had counted on the local day of `at`. */
async function countedOnDay(
  tx: Db,
  memberId: string,
  kind: ActivityKind,
  at: Date,
): Promise<number> {
  // The local day of `at` in the alliance's time zone, as the benefits' periods cut days.
  const instant = sql`${at.toISOString()}::timestamptz`;
  const dayStart = sql`benefit_period_start('day', ${instant}, ${allianceTimeZone})`;
  const dayEnd = sql`benefit_period_end('day', ${instant}, ${allianceTimeZone})`;
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int8 AS n FROM growth_events
    WHERE member_id = ${memberId} AND kind = ${kind}
      AND occurred_at >= ${dayStart} AND occurred_at < ${dayEnd}`.execute(tx);
  return Number(rows[0]?.n ?? 0);
}

/**
 * Records one activity in the caller's transaction (the member's row is the lock that keeps
 * two reports of one day from both passing the cap), by the rules the caller read before
 * opening it (growthRules).
 */
export async function recordActivity(
  deps: MemberDeps,
  tx: Db,
  input: {
    memberId: string;
    partnerId: string;
    kind: ActivityKind;
    activityId: string;
    occurredAt: Date;
  },
  rules: GrowthRules,
): Promise<ActivityResult> {
  const rule = rules.settings.activityGrowth[input.kind];
  if (!rule)
    throw new AppError('validation_failed', 'Unknown activity kind.', {
      fields: [{ field: 'kind', reason: activityKinds.join(', ') }],
    });
  await sql`SELECT 1 FROM members WHERE id = ${input.memberId} FOR UPDATE`.execute(tx);
  const eventRef = `activity:${input.kind}:${input.activityId}`;
  const seen = await tx
    .selectFrom('growth_events')
    .select('id')
    .where('partner_id', '=', input.partnerId)
    .where('event_ref', '=', eventRef)
    .executeTakeFirst();
  const counted =
    seen !== undefined ||
    (await countedOnDay(tx, input.memberId, input.kind, input.occurredAt)) < rule.dailyCap;
  if (!counted) {
    const progress = await standing(deps, tx, input.memberId, rules);
    return {
      ...progress,
      memberId: input.memberId,
      kind: input.kind,
      counted: false,
      duplicate: false,
      growthAdded: 0,
    };
  }
  const result = await recordGrowthEvent(
    deps,
    {
      memberId: input.memberId,
      partnerId: input.partnerId,
      kind: input.kind,
      amount: rule.amount,
      eventRef,
      occurredAt: input.occurredAt,
    },
    { tx, rules },
  );
  return {
    memberId: input.memberId,
    kind: input.kind,
    counted: true,
    duplicate: result.duplicate,
    growthAdded: result.duplicate ? 0 : rule.amount,
    growthValue: result.growthValue,
    tier: result.tier,
    tierChange: result.tierChange,
  };
}

/** The member's growth value and tier as they stand (an activity past the cap changes nothing). */
async function standing(
  deps: MemberDeps,
  tx: Db,
  memberId: string,
  rules: GrowthRules,
): Promise<{ growthValue: number; tier: TierView; tierChange: null }> {
  const member = await tx
    .selectFrom('members')
    .select('tier_code')
    .where('id', '=', memberId)
    .executeTakeFirstOrThrow();
  const tier = rules.tiers.find((t) => t.code === member.tier_code);
  if (!tier) throw new Error(`tiers: unknown tier ${member.tier_code}`);
  return {
    growthValue: await growthValueAt(
      tx,
      memberId,
      deps.clock.now(),
      rules.settings.growthWindowMonths,
    ),
    tier,
    tierChange: null,
  };
}
