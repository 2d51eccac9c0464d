import { sql } from 'kysely';
import { type Db, newId } from '../platform/index.ts';
import type { SettlementSettings } from './settings.ts';

/**
 * How long after its cut-off a period is closed. booked_at is taken from the application clock
 * when a ledger transaction starts writing, so an entry can commit shortly after the cut-off
 * with a booked_at before it. Ledger transactions last milliseconds (a group-commit batch well
 * under a second); two minutes also covers clock skew between hub machines kept by NTP. An
 * entry committing later than this with an earlier booked_at would be missed by the lines and
 * by the compute step's cross-check alike; approval checks the period's postings again, and
 * refuses, for that reason.
 */
export const closeGraceMs = 2 * 60 * 1000;

/** Periods closed per run at most: a hub that was down for a year catches up over a few runs. */
const periodsPerRunMax = 62;

export type PeriodBounds = { localDate: string; startsAt: Date; endsAt: Date };

/**
 * The period containing an instant: cut at periodCutTime in the alliance's time zone, daily.
 * PostgreSQL does the calendar arithmetic so that days of 23 or 25 hours are handled.
 */
export async function periodContaining(
  db: Db,
  settings: SettlementSettings,
  at: Date,
): Promise<PeriodBounds> {
  const { rows } = await sql<{ local_date: string; starts_at: Date; ends_at: Date }>`
    WITH d AS (
      SELECT date_trunc('day', (${at.toISOString()}::timestamptz AT TIME ZONE ${settings.timeZone})
        - ${settings.periodCutTime}::interval) AS day)
    SELECT to_char(day, 'YYYY-MM-DD') AS local_date,
      (day + ${settings.periodCutTime}::interval) AT TIME ZONE ${settings.timeZone} AS starts_at,
      (day + interval '1 day' + ${settings.periodCutTime}::interval) AT TIME ZONE ${settings.timeZone} AS ends_at
    FROM d`.execute(db);
  const row = rows[0];
  if (!row) throw new Error('settlement: no period computed');
  return { localDate: row.local_date, startsAt: row.starts_at, endsAt: row.ends_at };
}

/**
 * Writes a row, status closed, for every period whose cut-off plus the grace has passed. The
 * first period is the one of the first ledger entry; each next one starts where the last
 * ended. Concurrent runs are harmless: the unique start time lets one insert win.
 */
export async function closeDuePeriods(
  db: Db,
  settings: SettlementSettings,
  now: Date,
): Promise<number> {
  let closed = 0;
  for (let i = 0; i < periodsPerRunMax; i += 1) {
    const next = await nextPeriod(db, settings);
    if (!next || next.endsAt.getTime() + closeGraceMs > now.getTime()) break;
    const inserted = await db
      .insertInto('settlement_periods')
      .values({
        id: newId(),
        local_date: next.localDate,
        starts_at: next.startsAt,
        ends_at: next.endsAt,
        status: 'closed',
        closed_at: now,
        // Kept with the period: its amounts stay in the currency they were settled in.
        currency: settings.currency,
      })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    closed += Number(inserted.numInsertedOrUpdatedRows ?? 0);
  }
  return closed;
}

async function nextPeriod(db: Db, settings: SettlementSettings): Promise<PeriodBounds | undefined> {
  const last = await db
    .selectFrom('settlement_periods')
    .select('ends_at')
    .orderBy('starts_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (last) {
    const bounds = await periodContaining(db, settings, last.ends_at);
    // After a change of cut time the period holding the last end may start earlier.
    return { ...bounds, startsAt: last.ends_at };
  }
  const first = await db
    .selectFrom('ledger_entries')
    .select((eb) => eb.fn.min('booked_at').as('at'))
    .executeTakeFirst();
  return first?.at ? periodContaining(db, settings, new Date(first.at)) : undefined;
}
