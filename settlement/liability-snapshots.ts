import { sql } from 'kysely';
import {
  AppError,
  type Db,
  type LiabilitySnapshot,
  type SettlementPeriod,
} from '../platform/index.ts';
import {
  breakageRateText,
  breakageWindowDays,
  type IssuerLiability,
  type Liability,
  liabilityAt,
  ratioText,
  totalsOf,
} from './liability.ts';
import { loadSettlementSettings } from './settings.ts';
import { localDateOf } from './statements.ts';

/** Periods snapshotted per run at most; the next run continues. */
const snapshotsPerRunMax = 31;

/**
 * The daily snapshot: the liability at the end of every closed period (the ledger just before
 * its cut-off), per issuer, written once. Each is ONE repeatable-read transaction, so its
 * figures come from one view of the ledger; a run that crashes leaves the period to the next.
 * Safe to run twice or concurrently: the period's row is locked and a written snapshot is
 * never written again. Returns the periods snapshotted.
 */
export async function snapshotDuePeriods(db: Db, now: Date): Promise<number> {
  const due = await db
    .selectFrom('settlement_periods')
    .select('id')
    .where('liability_snapshot_at', 'is', null)
    .orderBy('starts_at')
    .limit(snapshotsPerRunMax)
    .execute();
  let written = 0;
  for (const p of due) if (await snapshotPeriod(db, p.id, now)) written += 1;
  return written;
}

async function snapshotPeriod(db: Db, periodId: string, now: Date): Promise<boolean> {
  const { pointValue } = await loadSettlementSettings(db);
  return db.transaction().execute(async (tx) => {
    await sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`.execute(tx);
    const period = await tx
      .selectFrom('settlement_periods')
      .selectAll()
      .where('id', '=', periodId)
      .forUpdate()
      .executeTakeFirst();
    if (!period || period.liability_snapshot_at !== null) return false;
    const liability = await liabilityAt(tx, {
      at: period.ends_at,
      now,
      currency: period.currency,
      pointValue,
    });
    if (liability.issuers.length > 0) {
      await tx
        .insertInto('liability_snapshots')
        .values(liability.issuers.map((i) => snapshotRow(period, liability, i, now)))
        .execute();
    }
    await tx
      .updateTable('settlement_periods')
      .set({ liability_snapshot_at: now })
      .where('id', '=', period.id)
      .execute();
    return true;
  });
}

function snapshotRow(
  period: SettlementPeriod,
  liability: Liability,
  i: IssuerLiability,
  now: Date,
): LiabilitySnapshot {
  return {
    period_id: period.id,
    partner_id: i.partnerId,
    at: period.ends_at,
    currency: liability.currency,
    point_value_minor: liability.pointValueMinor,
    outstanding_points: i.outstandingPoints,
    expired_unswept_points: i.expiredUnsweptPoints,
    value_minor: i.valueMinor,
    window_redeemed_points: i.windowSpentPoints,
    window_breakage_points: i.windowBrokenPoints,
    expected_breakage_points: i.expectedBreakagePoints,
    expected_breakage_minor: i.expectedBreakageMinor,
    created_at: now,
  };
}

export type LiabilitySnapshotView = Liability & {
  periodId: string;
  localDate: string;
  snapshotAt: string;
};

/** The snapshot taken at the end of a period. */
export async function periodLiability(db: Db, periodId: string): Promise<LiabilitySnapshotView> {
  const period = await db
    .selectFrom('settlement_periods')
    .selectAll()
    .where('id', '=', periodId)
    .executeTakeFirst();
  if (!period) throw new AppError('not_found', 'No such settlement period.');
  if (period.liability_snapshot_at === null)
    throw new AppError('conflict', 'The liability snapshot of this period is not taken yet.');
  const rows = await db
    .selectFrom('liability_snapshots')
    .selectAll()
    .where('period_id', '=', period.id)
    .orderBy('partner_id')
    .execute();
  const issuers = rows.map((r) => ({
    partnerId: r.partner_id,
    outstandingPoints: r.outstanding_points,
    expiredUnsweptPoints: r.expired_unswept_points,
    valueMinor: r.value_minor,
    windowSpentPoints: r.window_redeemed_points,
    windowBrokenPoints: r.window_breakage_points,
    breakageRate: breakageRateText(r.window_redeemed_points, r.window_breakage_points),
    expectedBreakagePoints: r.expected_breakage_points,
    expectedBreakageMinor: r.expected_breakage_minor,
  }));
  return {
    periodId: period.id,
    localDate: localDateOf(period),
    snapshotAt: period.liability_snapshot_at.toISOString(),
    at: period.ends_at.toISOString(),
    currency: period.currency,
    pointValueMinor:
      rows[0]?.point_value_minor ?? ratioText((await loadSettlementSettings(db)).pointValue),
    windowDays: breakageWindowDays,
    issuers,
    totals: totalsOf(issuers),
  };
}
