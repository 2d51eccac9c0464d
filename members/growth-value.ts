import { sql } from 'kysely';
import type { Db } from '../platform/index.ts';
import { addMonths } from './settings.ts';

/**
 * A member's growth value: the sum of their growth events in the rolling window, those that
 * occurred after `at` minus the window (events stamped a little ahead of the hub's clock
 * count at once). Events are summed per calendar month (UTC) as they are recorded, so that the
 * window is the months wholly inside it plus the exact events of the one month it cuts: a member
 * with a year of daily purchases costs a dozen month rows and one month of events, not a year.
 */

/** The first day (UTC) of the month of `at`, as a date string. */
export function monthOf(at: Date): string {
  return `${at.toISOString().slice(0, 7)}-01`;
}

function windowBounds(at: Date, windowMonths: number) {
  const from = addMonths(at, -windowMonths);
  const cutMonth = monthOf(from);
  const cutMonthEnd = addMonths(new Date(`${cutMonth}T00:00:00Z`), 1);
  return { from, cutMonth, cutMonthEnd };
}

/** Growth values of several members over the window ending at `at`, in one statement. */
export async function growthValuesAt(
  db: Db,
  memberIds: string[],
  at: Date,
  windowMonths: number,
): Promise<Map<string, number>> {
  if (memberIds.length === 0) return new Map();
  const { from, cutMonth, cutMonthEnd } = windowBounds(at, windowMonths);
  const { rows } = await sql<{ member_id: string; growth: number }>`
    SELECT m.id AS member_id,
      coalesce((SELECT sum(g.amount) FROM growth_months g
        WHERE g.member_id = m.id AND g.month > ${cutMonth}::date), 0)::int8
      + coalesce((SELECT sum(e.amount) FROM growth_events e
        WHERE e.member_id = m.id AND e.occurred_at > ${from.toISOString()}::timestamptz
          AND e.occurred_at < ${cutMonthEnd.toISOString()}::timestamptz), 0)::int8 AS growth
    FROM unnest(${memberIds}::uuid[]) AS m(id)`.execute(db);
  return new Map(rows.map((r) => [r.member_id, Number(r.growth)]));
}

export async function growthValueAt(
  db: Db,
  memberId: string,
  at: Date,
  windowMonths: number,
): Promise<number> {
  return (await growthValuesAt(db, [memberId], at, windowMonths)).get(memberId) ?? 0;
}

/**
 * Adds recorded events to their members' month sums; called in the transaction that inserts
 * the events, under the members' row locks. One statement, however many events.
 */
export async function addToMonthSums(
  db: Db,
  events: Array<{ memberId: string; amount: number; occurredAt: Date }>,
): Promise<void> {
  const sums = new Map<string, { memberId: string; month: string; amount: number }>();
  for (const e of events) {
    const month = monthOf(e.occurredAt);
    const key = `${e.memberId} ${month}`;
    const sum = sums.get(key) ?? { memberId: e.memberId, month, amount: 0 };
    sum.amount += e.amount;
    sums.set(key, sum);
  }
  // In key order, like row locks: two transactions never wait on each other's new rows.
  const rows = [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
  if (rows.length === 0) return;
  await sql`
    INSERT INTO growth_months (member_id, month, amount)
    SELECT * FROM unnest(${rows.map((r) => r.memberId)}::uuid[], ${rows.map((r) => r.month)}::date[],
      ${rows.map((r) => r.amount)}::int8[])
    ON CONFLICT (member_id, month) DO UPDATE SET amount = growth_months.amount + excluded.amount`.execute(
    db,
  );
}
