import type { Clock, Db, JobDefinition } from '../platform/index.ts';
import { type ComputeHooks, computePeriod } from './compute.ts';
import { snapshotDuePeriods } from './liability-snapshots.ts';
import { closeDuePeriods } from './periods.ts';
import { loadSettlementSettings } from './settings.ts';

/** Periods computed per run at most; the next run (a minute later) continues. */
const computesPerRunMax = 31;

/**
 * One settlement run: close every period past its cut-off and grace, then compute each closed
 * period, oldest first. Safe to run twice, concurrently, or after a crash at any point.
 */
export async function runSettlement(
  db: Db,
  clock: Clock,
  hooks: ComputeHooks = {},
): Promise<{ closed: number; computed: number }> {
  const settings = await loadSettlementSettings(db);
  const closed = await closeDuePeriods(db, settings, clock.now());
  const due = await db
    .selectFrom('settlement_periods')
    .select('id')
    .where('status', '=', 'closed')
    .orderBy('starts_at')
    .limit(computesPerRunMax)
    .execute();
  let computed = 0;
  for (const p of due) {
    if (await computePeriod(db, p.id, clock.now(), hooks)) computed += 1;
  }
  return { closed, computed };
}

/**
 * The scheduler: every minute, so a period is computed within about three minutes of its
 * cut-off (the grace, then the next tick). Points expiry is the ledger's own job
 * (ledger-expire-lots); its entries fall in the period in which they are booked.
 */
export const settlementJob: JobDefinition = {
  queue: 'settlement-periods',
  schedule: { everyMs: 60_000 },
  // Up to 31 periods a run, each committed on its own: a run cut off keeps what it computed.
  timeoutMs: 15 * 60_000,
  process: async (services) => runSettlement(services.db, services.clock),
};

/**
 * The daily liability snapshot: every closed period gets one, taken at its cut-off, within a
 * few minutes of the period closing. One query when there is nothing to do.
 */
export const liabilitySnapshotJob: JobDefinition = {
  queue: 'liability-snapshots',
  schedule: { everyMs: 5 * 60_000 },
  timeoutMs: 15 * 60_000,
  process: async (services) => ({
    snapshots: await snapshotDuePeriods(services.db, services.clock.now()),
  }),
};
