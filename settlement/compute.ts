import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, SettlementPosition } from '../platform/index.ts';
import { clearingKinds } from './clearing.ts';
import { recordPeriodEvent } from './events.ts';
import { csvHeader, csvLine, insertLines } from './lines.ts';

/** Named steps of a computation, for tests that stop a process in the middle of one. */
export type ComputeStep = 'locked' | 'lines' | 'positions' | 'checked';
export type ComputeHooks = {
  afterStep?: (step: ComputeStep) => Promise<void>;
  /** Runs in the computation's transaction, last: what must commit with it (an audit line). */
  beforeCommit?: (tx: Db) => Promise<void>;
};

export class SettlementImbalance extends Error {
  override name = 'SettlementImbalance';
}

/**
 * Computes a closed period: statement lines, positions, checks, digest, all in ONE transaction.
 * A crash at any step rolls everything back and leaves the period closed; the next run starts
 * over from the same ledger and, lines being ordered and formatted deterministically, writes
 * the same bytes. A period already computed is left alone. Returns whether this run computed it.
 */
export async function computePeriod(
  db: Db,
  periodId: string,
  now: Date,
  hooks: ComputeHooks = {},
): Promise<boolean> {
  const step = hooks.afterStep ?? (async () => {});
  return db.transaction().execute(async (tx) => {
    // One snapshot of the ledger for the lines and for the cross-check against the postings.
    await sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`.execute(tx);
    // A period of a million lines is grouped and sorted in memory rather than on disk.
    await sql`SET LOCAL work_mem = '256MB'`.execute(tx);
    const period = await tx
      .selectFrom('settlement_periods')
      .select(['id', 'status', 'starts_at', 'ends_at', 'currency'])
      .where('id', '=', periodId)
      .forUpdate()
      .executeTakeFirst();
    if (period?.status !== 'closed') return false;
    await step('locked');
    const bounds = { id: period.id, startsAt: period.starts_at, endsAt: period.ends_at };
    await insertLines(tx, bounds, period.currency);
    await step('lines');
    await insertPositions(tx, period.id);
    await step('positions');
    const positions = await positionsOf(tx, period.id);
    const hubFees = await checkAgainstLedger(tx, bounds, period.currency, positions);
    await step('checked');
    await tx
      .updateTable('settlement_periods')
      .set({
        status: 'computed',
        computed_at: now,
        digest: periodDigest(positions, hubFees),
        line_count: positions.reduce((s, p) => s + p.line_count, 0),
        hub_fees_minor: hubFees,
      })
      .where('id', '=', period.id)
      .execute();
    await recordPeriodEvent(tx, 'settlement.period_computed', period, now);
    await hooks.beforeCommit?.(tx);
    return true;
  });
}

/** A period's positions, in partner order (the order of the period digest). */
export async function positionsOf(tx: Db, periodId: string): Promise<SettlementPosition[]> {
  return tx
    .selectFrom('settlement_positions')
    .selectAll()
    .where('period_id', '=', periodId)
    .orderBy('partner_id')
    .execute();
}

/** Each partner's figures as sums of its lines, and the digest of its CSV statement. */
async function insertPositions(tx: Db, periodId: string): Promise<void> {
  await sql`
    INSERT INTO settlement_positions (period_id, partner_id, line_count, owed_to_others_minor,
      owed_by_others_minor, fees_minor, breakage_points, net_minor, digest)
    SELECT l.period_id, l.partner_id, count(*),
      coalesce(-sum(l.value_minor) FILTER (WHERE l.role = 'issuer'), 0),
      coalesce(sum(l.value_minor) FILTER (WHERE l.role = 'acceptor'), 0),
      -sum(l.fee_minor),
      coalesce(sum(l.points) FILTER (WHERE l.kind = 'expiry'), 0),
      sum(l.value_minor + l.fee_minor),
      encode(sha256(convert_to(${csvHeader} || E'\n' || string_agg(${csvLine} || E'\n', '' ORDER BY l.line_no), 'UTF8')), 'hex')
    FROM settlement_lines l WHERE l.period_id = ${periodId}::uuid
    GROUP BY l.period_id, l.partner_id`.execute(tx);
}

/**
 * The check from the other side: per partner, the lines must add up to the postings booked in
 * the period on its clearing and fees accounts; the hub's accounts must hold exactly the fees;
 * and all net positions plus the hub's fees must be zero. Refuses (throws) otherwise.
 */
export async function checkAgainstLedger(
  tx: Db,
  period: { id: string; startsAt: Date; endsAt: Date },
  currency: string,
  positions: SettlementPosition[],
): Promise<number> {
  const { rows } = await sql<{ owner_type: string; owner_id: string; kind: string; total: number }>`
    SELECT a.owner_type, a.owner_id, a.kind, sum(p.amount)::int8 AS total
    FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id
    WHERE a.asset = ${currency} AND a.kind IN (${clearingKinds.partnerClearing}, ${clearingKinds.partnerFees},
        ${clearingKinds.hubFees}, ${clearingKinds.hubBreakage})
      AND p.booked_at >= ${period.startsAt.toISOString()}::timestamptz AND p.booked_at < ${period.endsAt.toISOString()}::timestamptz
    GROUP BY a.owner_type, a.owner_id, a.kind`.execute(tx);
  const ledger = new Map(rows.map((r) => [`${r.owner_id}:${r.kind}`, r.total]));
  let hubFees = 0;
  for (const r of rows) if (r.owner_type === 'hub') hubFees += r.total;
  const faults: string[] = [];
  let netSum = 0;
  for (const p of positions) {
    const value = ledger.get(`${p.partner_id}:${clearingKinds.partnerClearing}`) ?? 0;
    const fees = ledger.get(`${p.partner_id}:${clearingKinds.partnerFees}`) ?? 0;
    if (value !== p.owed_by_others_minor - p.owed_to_others_minor)
      faults.push(
        `partner ${p.partner_id}: lines ${p.owed_by_others_minor - p.owed_to_others_minor}, clearing postings ${value}`,
      );
    if (fees !== -p.fees_minor)
      faults.push(`partner ${p.partner_id}: fee lines ${-p.fees_minor}, fee postings ${fees}`);
    netSum += p.net_minor;
  }
  const partnersWithLines = new Set(positions.map((p) => p.partner_id));
  for (const r of rows) {
    if (r.owner_type === 'partner' && r.total !== 0 && !partnersWithLines.has(r.owner_id))
      faults.push(
        `partner ${r.owner_id}: postings ${r.total} on ${r.kind} without statement lines`,
      );
  }
  if (netSum + hubFees !== 0)
    faults.push(`net positions ${netSum} + hub fees ${hubFees} is not zero`);
  if (faults.length > 0)
    throw new SettlementImbalance(`period ${period.id} does not balance: ${faults.join('; ')}`);
  return hubFees;
}

/** The digest of a computed period: every partner's net and statement digest, and the fees. */
export function periodDigest(positions: SettlementPosition[], hubFeesMinor: number): string {
  const hash = createHash('sha256');
  for (const p of positions) hash.update(`${p.partner_id},${p.net_minor},${p.digest}\n`);
  hash.update(`hub,${hubFeesMinor}\n`);
  return hash.digest('hex');
}
