import { sql } from 'kysely';
import type { Db } from '../platform/index.ts';
import { clearingKinds } from './clearing.ts';
import { computedPeriod, localDateOf } from './statements.ts';

/** The hub's membership revenue account (members/ledger-seams.ts posts each paid term's fee). */
const membershipRevenueKind = 'hub_membership_revenue';

export type Revenue = {
  periodId: string;
  localDate: string;
  currency: string;
  /** Paid terms' fees booked in the period: how many, and how much. */
  membershipFees: { count: number; amountMinor: number };
  clearingFeesMinor: number;
  breakageShareMinor: number;
  totalMinor: number;
  /** The period's hub fees as computed with its statements: clearing fees plus breakage share. */
  periodHubFeesMinor: number;
};

/**
 * The hub's revenue of a period, from its own accounts' postings booked in the period in the
 * period's currency: paid members' fees, clearing fees and its share of breakage. Fees of a
 * plan priced in another currency are not in a period's report.
 */
export async function periodRevenue(db: Db, periodId: string): Promise<Revenue> {
  const period = await computedPeriod(db, periodId);
  const { rows } = await sql<{ kind: string; total: number; credits: number }>`
    SELECT a.kind, sum(p.amount)::int8 AS total, count(*) FILTER (WHERE p.amount > 0)::int8 AS credits
    FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id
    WHERE a.owner_type = 'hub' AND a.asset = ${period.currency}
      AND a.kind IN (${membershipRevenueKind}, ${clearingKinds.hubFees}, ${clearingKinds.hubBreakage})
      AND p.booked_at >= ${period.starts_at.toISOString()}::timestamptz
      AND p.booked_at < ${period.ends_at.toISOString()}::timestamptz
    GROUP BY a.kind`.execute(db);
  const of = (kind: string) => rows.find((r) => r.kind === kind);
  const membership = of(membershipRevenueKind);
  const clearing = of(clearingKinds.hubFees)?.total ?? 0;
  const breakage = of(clearingKinds.hubBreakage)?.total ?? 0;
  const fees = membership?.total ?? 0;
  return {
    periodId: period.id,
    localDate: localDateOf(period),
    currency: period.currency,
    membershipFees: { count: membership?.credits ?? 0, amountMinor: fees },
    clearingFeesMinor: clearing,
    breakageShareMinor: breakage,
    totalMinor: fees + clearing + breakage,
    periodHubFeesMinor: period.hub_fees_minor ?? 0,
  };
}
