import { sql } from 'kysely';
import { AppError, type Db, recordAudit } from '../platform/index.ts';
import { computePeriod, SettlementImbalance } from './compute.ts';
import { closeDuePeriods, closeGraceMs } from './periods.ts';
import { loadSettlementSettings, type SettlementSettings } from './settings.ts';
import { type PeriodView, periodView } from './workflow.ts';

/**
 * Settle on request: a finance user closes and computes the period of one alliance-local day
 * now, rather than waiting for the minute job (after a correction, or with no worker running).
 * It does exactly what the job does, with the job's own functions: close every period due
 * (cut-off plus the grace passed), then compute this one, so it writes the same lines, bytes
 * and digests the job would. A period already computed is left as it is and returned: asking
 * twice changes nothing. The grace is kept: before it ends an entry booked before the cut-off
 * may still be committing, and the job would include it.
 */
export async function settlePeriod(
  db: Db,
  input: { localDate: string; staffId: string; now: Date },
): Promise<{ period: PeriodView; computedNow: boolean }> {
  const settings = await loadSettlementSettings(db);
  await closeDuePeriods(db, settings, input.now);
  const row = await db
    .selectFrom('settlement_periods')
    .select(['id', 'status'])
    .where(sql<boolean>`local_date = ${input.localDate}::date`)
    .executeTakeFirst();
  if (!row) throw await notDue(db, settings, input);
  let computedNow = false;
  if (row.status === 'closed') {
    try {
      computedNow = await computePeriod(db, row.id, input.now, {
        beforeCommit: (tx) =>
          recordAudit(tx, {
            actor: { kind: 'staff', id: input.staffId },
            action: 'period.settle',
            subject: row.id,
            before: { status: 'closed' },
            after: { status: 'computed', localDate: input.localDate },
            at: input.now,
          }),
      });
    } catch (error) {
      if (!(error instanceof SettlementImbalance)) throw error;
      throw new AppError('conflict', error.message);
    }
  }
  const period = await db
    .selectFrom('settlement_periods')
    .selectAll()
    .where('id', '=', row.id)
    .executeTakeFirstOrThrow();
  return { period: periodView(period), computedNow };
}

/** Why a day has no period to settle: its cut-off and grace are ahead, or nothing was booked. */
async function notDue(
  db: Db,
  settings: SettlementSettings,
  input: { localDate: string; now: Date },
): Promise<AppError> {
  const { rows } = await sql<{ ends_at: Date }>`
    SELECT ((${input.localDate}::date + interval '1 day' + ${settings.periodCutTime}::interval)
      AT TIME ZONE ${settings.timeZone}) AS ends_at`.execute(db);
  const endsAt = rows[0]?.ends_at;
  const closableAt = endsAt ? endsAt.getTime() + closeGraceMs : 0;
  if (closableAt > input.now.getTime()) {
    return new AppError(
      'conflict',
      `The period of ${input.localDate} can be settled from ${new Date(closableAt).toISOString()}: its cut-off plus ${closeGraceMs / 60_000} minutes of grace.`,
      {
        retryAfterSeconds: Math.ceil((closableAt - input.now.getTime()) / 1000),
        fields: [{ field: 'localDate', reason: 'its cut-off and grace have not passed' }],
      },
    );
  }
  return new AppError('not_found', `No period of ${input.localDate}: nothing was booked by then.`, {
    fields: [{ field: 'localDate', reason: 'before the first ledger entry' }],
  });
}
