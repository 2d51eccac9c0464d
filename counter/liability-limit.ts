import { lockIssuersOutstanding } from '../ledger/index.ts';
import type { CounterRules } from '../partners/index.ts';
import { AppError, type Db } from '../platform/index.ts';

/**
 * The cap an issuer may set on its outstanding points (coalitions make issuers prefund what
 * they issue), checked by every accrual batch that carries a capped issuer's purchases. The
 * batch locks those issuers first (ledger lockIssuersOutstanding), so batches of the same
 * capped issuer take turns and the cap is never passed by accruals; batches of uncapped
 * issuers take no lock and read nothing more. Redemption refunds and voided holds can still
 * lift the outstanding points past a cap: they give members back their own points.
 */

/** Points each capped issuer of a batch may still issue in it. */
export type Headroom = Map<string, { limit: number; outstanding: number }>;

export async function lockHeadroom(
  tx: Db,
  items: Array<{ partnerId: string; rules: CounterRules }>,
): Promise<Headroom> {
  const limits = new Map<string, number>();
  for (const i of items) {
    const max = i.rules.policy.outstandingPointsMax;
    if (max !== null) limits.set(i.partnerId, max);
  }
  const outstanding = await lockIssuersOutstanding(tx, [...limits.keys()]);
  return new Map(
    [...limits].map(([id, limit]) => [id, { limit, outstanding: outstanding.get(id) ?? 0 }]),
  );
}

/** Takes the points from the issuer's headroom, or says why they cannot be issued. */
export function takeHeadroom(
  headroom: Headroom,
  partnerId: string,
  points: number,
): AppError | undefined {
  const cap = headroom.get(partnerId);
  if (cap === undefined || points === 0) return undefined;
  if (cap.outstanding + points > cap.limit)
    return new AppError(
      'liability_limit_reached',
      `The issuer may have at most ${cap.limit} points outstanding; ${cap.outstanding} are, and this purchase would add ${points}.`,
      {
        extra: {
          limitPoints: cap.limit,
          outstandingPoints: cap.outstanding,
          askedPoints: points,
        },
      },
    );
  cap.outstanding += points;
  return undefined;
}
