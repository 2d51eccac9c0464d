import { sql } from 'kysely';
import { paidMembershipValue } from '../members/index.ts';
import { multiplyFloor, parseRatio } from '../platform/index.ts';
import type { CounterDeps } from './deps.ts';

/**
 * "Saved so far", set against the fee (what makes members renew): the points the paid
 * membership added to purchases at every till, valued at the alliance's point value, plus the
 * value of the paid-only benefits used, since the membership began.
 */
export type PaidSavings = {
  since: string;
  extraPoints: number;
  extraPointsValueMinor: number;
  benefitUses: number;
  benefitValueMinor: number;
  savedMinor: number;
  feesPaidMinor: number;
};

export async function paidSavings(
  deps: CounterDeps,
  memberId: string,
  since: Date,
): Promise<PaidSavings> {
  const { db } = deps.services;
  const [points, value, alliance] = await Promise.all([
    sql<{ extra: number }>`
      SELECT coalesce(sum(paid_extra_points), 0)::int8 AS extra FROM counter_purchases
      WHERE member_id = ${memberId} AND paid_extra_points > 0
        AND created_at >= ${since.toISOString()}::timestamptz`.execute(db),
    paidMembershipValue(db, memberId, since),
    db.selectFrom('alliance').select('point_value_minor').where('id', '=', 1).executeTakeFirst(),
  ]);
  const extraPoints = Number(points.rows[0]?.extra ?? 0);
  const extraPointsValueMinor = multiplyFloor(
    extraPoints,
    parseRatio(alliance?.point_value_minor ?? '1'),
  );
  return {
    since: since.toISOString(),
    extraPoints,
    extraPointsValueMinor,
    benefitUses: value.benefitUses,
    benefitValueMinor: value.benefitValueMinor,
    savedMinor: extraPointsValueMinor + value.benefitValueMinor,
    feesPaidMinor: value.feesPaidMinor,
  };
}
