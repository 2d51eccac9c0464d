import { sql } from 'kysely';
import { issuerPointKinds, pointsAsset } from '../ledger/index.ts';
import { type Db, multiplyHalfEven, type Ratio } from '../platform/index.ts';

/**
 * The points liability: what the alliance's issuers owe members in points not yet spent.
 * Per issuer, from its lots: points issued and neither spent nor expired, their value at the
 * point value, and the part expected never to be spent (breakage), estimated from the issuer's
 * own history.
 *
 * Breakage estimator: of the points that LEFT the issuer's liability in the trailing window
 * (365 days before the instant), the share that left by expiring (or being forfeited) rather
 * than being spent: rate = broken / (broken + spent), with spent net of redemption refunds.
 * Every point ends one of those two ways (or is clawed back by a refund, which is neither and
 * counted in neither), so in a steady programme this flow ratio is the ultimate breakage rate.
 * It was chosen over a cohort estimator (breakage of lots whose lifetime has ended), which
 * needs a whole points lifetime (two years by default) before its first figure; flows react
 * within a year. Its bias is known and on the safe side: while a programme is younger than
 * its points' lifetime little has expired, so it understates breakage and leaves the
 * liability high rather than low. An issuer with no spent or expired points in the window has
 * no rate, and no breakage is expected of it.
 */

export const breakageWindowDays = 365;

export type IssuerLiability = {
  partnerId: string;
  /** Issued before the instant, not spent, not expired at it (held points included). */
  outstandingPoints: number;
  /** Past their expiry at the instant but not yet moved to breakage by the expiry job. */
  expiredUnsweptPoints: number;
  valueMinor: number;
  windowSpentPoints: number;
  windowBrokenPoints: number;
  /** broken / (broken + spent), six decimals, rounded half to even; null: no history. */
  breakageRate: string | null;
  expectedBreakagePoints: number;
  expectedBreakageMinor: number;
};

export type Liability = {
  at: string;
  currency: string;
  pointValueMinor: string;
  windowDays: number;
  issuers: IssuerLiability[];
  totals: Omit<IssuerLiability, 'partnerId' | 'breakageRate'>;
};

type PointsRow = { partner_id: string; outstanding: number; expired_unswept: number };
type FlowRow = { partner_id: string; spent: number; broken: number };

/** Points per issuer now, from the lots' remaining points: no history to read. */
async function pointsNow(db: Db, now: Date): Promise<PointsRow[]> {
  const { rows } = await sql<PointsRow>`
    SELECT issuer_partner_id AS partner_id,
      coalesce(sum(remaining) FILTER (WHERE expires_at > ${now.toISOString()}::timestamptz), 0)::int8 AS outstanding,
      coalesce(sum(remaining) FILTER (WHERE expires_at <= ${now.toISOString()}::timestamptz), 0)::int8 AS expired_unswept
    FROM ledger_lots WHERE remaining > 0 GROUP BY 1`.execute(db);
  return rows;
}

/**
 * Points per issuer just before an instant: every lot issued before it, less what entries
 * booked before it moved out of the lot (spent, expired, clawed back; negative for refunds).
 */
async function pointsBefore(db: Db, at: Date): Promise<PointsRow[]> {
  const t = at.toISOString();
  const { rows } = await sql<PointsRow>`
    WITH moved AS (
      SELECT m.lot_id, sum(m.points) AS points FROM ledger_lot_movements m
        JOIN ledger_entries e ON e.id = m.entry_id
      WHERE e.booked_at < ${t}::timestamptz GROUP BY m.lot_id
    ), left_in AS (
      SELECT l.issuer_partner_id, l.expires_at, l.amount - coalesce(mv.points, 0) AS points
      FROM ledger_lots l LEFT JOIN moved mv ON mv.lot_id = l.id
      WHERE l.issued_at < ${t}::timestamptz
    )
    SELECT issuer_partner_id AS partner_id,
      coalesce(sum(points) FILTER (WHERE expires_at > ${t}::timestamptz), 0)::int8 AS outstanding,
      coalesce(sum(points) FILTER (WHERE expires_at <= ${t}::timestamptz), 0)::int8 AS expired_unswept
    FROM left_in GROUP BY 1 HAVING sum(points) <> 0`.execute(db);
  return rows;
}

/** Points that left each issuer's liability in the window: spent (net) and broken. */
async function flows(db: Db, from: Date, to: Date): Promise<FlowRow[]> {
  const { rows } = await sql<FlowRow>`
    SELECT a.owner_id AS partner_id,
      coalesce(sum(p.amount) FILTER (WHERE a.kind = 'partner_redeemed'), 0)::int8 AS spent,
      coalesce(sum(p.amount) FILTER (WHERE a.kind = 'partner_breakage'), 0)::int8 AS broken
    FROM ledger_accounts a JOIN ledger_postings p ON p.account_id = a.id
    WHERE a.owner_type = 'partner' AND a.asset = ${pointsAsset}
      AND a.kind IN (${issuerPointKinds[1]}, ${issuerPointKinds[2]})
      AND p.booked_at >= ${from.toISOString()}::timestamptz AND p.booked_at < ${to.toISOString()}::timestamptz
    GROUP BY 1`.execute(db);
  return rows;
}

/** An exact decimal ratio (denominator a power of ten, as parseRatio makes them) as text. */
export function ratioText(ratio: Ratio): string {
  const places = String(ratio.denominator).length - 1;
  if (places === 0) return String(ratio.numerator);
  const digits = String(ratio.numerator).padStart(places + 1, '0');
  return `${digits.slice(0, -places)}.${digits.slice(-places)}`;
}

/** Six decimals of a ratio, rounded half to even: "0.250000". */
function decimal6(ratio: Ratio): string {
  const millionths = multiplyHalfEven(1_000_000, ratio);
  return `${Math.floor(millionths / 1_000_000)}.${String(millionths % 1_000_000).padStart(6, '0')}`;
}

/** broken / (broken + spent); null when nothing left the liability in the window. */
function breakageRatio(spent: number, broken: number): Ratio | null {
  return broken + spent > 0 ? { numerator: broken, denominator: broken + spent } : null;
}

export function breakageRateText(spent: number, broken: number): string | null {
  const rate = breakageRatio(spent, broken);
  return rate ? decimal6(rate) : null;
}

/** The alliance-wide sums of the issuers' figures. */
export function totalsOf(issuers: IssuerLiability[]): Liability['totals'] {
  const sum = (pick: (i: IssuerLiability) => number) => issuers.reduce((s, i) => s + pick(i), 0);
  return {
    outstandingPoints: sum((i) => i.outstandingPoints),
    expiredUnsweptPoints: sum((i) => i.expiredUnsweptPoints),
    valueMinor: sum((i) => i.valueMinor),
    windowSpentPoints: sum((i) => i.windowSpentPoints),
    windowBrokenPoints: sum((i) => i.windowBrokenPoints),
    expectedBreakagePoints: sum((i) => i.expectedBreakagePoints),
    expectedBreakageMinor: sum((i) => i.expectedBreakageMinor),
  };
}

/** One issuer's figures. Rounding: each product half to even, in exact integers. */
export function issuerLiability(
  points: PointsRow | undefined,
  flow: FlowRow | undefined,
  pointValue: Ratio,
): Omit<IssuerLiability, 'partnerId'> {
  const outstanding = points?.outstanding ?? 0;
  const spent = Math.max(flow?.spent ?? 0, 0);
  const broken = flow?.broken ?? 0;
  const rate = breakageRatio(spent, broken);
  const expected = rate ? multiplyHalfEven(outstanding, rate) : 0;
  return {
    outstandingPoints: outstanding,
    expiredUnsweptPoints: points?.expired_unswept ?? 0,
    valueMinor: multiplyHalfEven(outstanding, pointValue),
    windowSpentPoints: spent,
    windowBrokenPoints: broken,
    breakageRate: breakageRateText(spent, broken),
    expectedBreakagePoints: expected,
    expectedBreakageMinor: multiplyHalfEven(expected, pointValue),
  };
}

/**
 * The liability at an instant: `at` omitted is now (the lots as they are); given, the ledger
 * just before it (entries booked before `at`). Issuers are listed by id; an issuer with no
 * points out and no history in the window is left out.
 */
export async function liabilityAt(
  db: Db,
  input: { at?: Date; now: Date; currency: string; pointValue: Ratio },
): Promise<Liability> {
  const at = input.at ?? input.now;
  const from = new Date(at.getTime() - breakageWindowDays * 86_400_000);
  const [points, flow] = await Promise.all([
    input.at ? pointsBefore(db, input.at) : pointsNow(db, input.now),
    flows(db, from, at),
  ]);
  const pointsOf = new Map(points.map((p) => [p.partner_id, p]));
  const flowOf = new Map(flow.map((f) => [f.partner_id, f]));
  const ids = [...new Set([...pointsOf.keys(), ...flowOf.keys()])].sort();
  const issuers = ids.map((partnerId) => ({
    partnerId,
    ...issuerLiability(pointsOf.get(partnerId), flowOf.get(partnerId), input.pointValue),
  }));
  return {
    at: at.toISOString(),
    currency: input.currency,
    pointValueMinor: ratioText(input.pointValue),
    windowDays: breakageWindowDays,
    issuers,
    totals: totalsOf(issuers),
  };
}
