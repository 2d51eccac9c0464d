import { sql } from 'kysely';
import { AppError, type Db } from '../platform/index.ts';
import { computedPeriod } from './statements.ts';

/**
 * Reconciliation of a partner's own transaction file against the hub's books for a period.
 * The file is CSV with the header `order_id,kind,points,amount_minor`, one line per order and
 * kind booked at the partner's counters:
 * - accrual: points issued for a purchase; accrual_clawback: points a purchase refund took
 *   back (negative);
 * - redemption: points spent; redemption_reversal: points a redemption refund gave back
 *   (negative);
 * amount_minor is the value other issuers owe the partner for the points (0 for its own
 * points, and for accruals and clawbacks, which move no money between partners). The hub's
 * side of redemptions is the period's statement lines; of accruals and clawbacks, the ledger's
 * entries booked by the partner in the period. The file is read line by line and written in
 * batches; it is never held whole.
 */
export type ReconcileLine = { orderId: string; kind: string; points: number; amountMinor: number };

/** The line kinds a partner books, each reconciled on its own. */
export const reconcileKinds = [
  'accrual',
  'accrual_clawback',
  'redemption',
  'redemption_reversal',
] as const;

export type KindCounts = {
  kind: string;
  matched: number;
  missingAtHub: number;
  missingAtPartner: number;
  mismatched: number;
};

export type ReconcileOutcome = {
  matched: number;
  missingAtHub: ReconcileLine[];
  missingAtPartner: ReconcileLine[];
  mismatched: Array<{ orderId: string; kind: string; partner: ReconcileLine; hub: ReconcileLine }>;
  /** True when a list was cut at reportLinesMax; the counts below are complete. */
  truncated: boolean;
  counts: { missingAtHub: number; missingAtPartner: number; mismatched: number };
  /** The same counts per kind: every kind a partner books, and any other kind the file named. */
  byKind: KindCounts[];
};

export const reconcileHeader = 'order_id,kind,points,amount_minor';
const batchLines = 1000;
const fileLinesMax = 5_000_000;
const reportLinesMax = 1000;

/** Longer than any valid line (an order id is at most 200 characters). */
const lineCharsMax = 1000;

/**
 * Splits a text stream into lines without holding more than one partial line, and that one
 * bounded: a file without line breaks would otherwise be gathered (and split again with every
 * chunk) up to the whole upload.
 */
export async function* linesOf(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let rest = '';
  let lines = 0;
  for await (const chunk of chunks) {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    lines += parts.length;
    for (const p of parts) yield p.replace(/\r$/, '');
    if (rest.length > lineCharsMax) {
      throw new AppError('validation_failed', `Line ${lines + 1} of the file is too long.`, {
        fields: [{ field: `file.line.${lines + 1}`, reason: `at most ${lineCharsMax} characters` }],
      });
    }
  }
  if (rest.replace(/\r$/, '') !== '') yield rest.replace(/\r$/, '');
}

/** One CSV record of four fields; the order id may be quoted ("" for a quote). */
function parseRecord(text: string, lineNo: number): ReconcileLine {
  const match = /^(?:"((?:[^"]|"")*)"|([^,"]*)),([a-z_]{1,40}),(-?\d{1,15}),(-?\d{1,15})$/.exec(
    text,
  );
  const orderId = match ? (match[1]?.replaceAll('""', '"') ?? match[2] ?? '') : '';
  if (!match || orderId === '' || orderId.length > 200) {
    throw new AppError('validation_failed', `Line ${lineNo} of the file is not valid.`, {
      fields: [{ field: `file.line.${lineNo}`, reason: `expected ${reconcileHeader}` }],
    });
  }
  return { orderId, kind: match[3] ?? '', points: Number(match[4]), amountMinor: Number(match[5]) };
}

function missingHeader(): AppError {
  return new AppError('validation_failed', `The file must start with ${reconcileHeader}.`, {
    fields: [{ field: 'file.line.1', reason: `expected ${reconcileHeader}` }],
  });
}

export async function reconcile(
  db: Db,
  input: { periodId: string; partnerId: string; file: AsyncIterable<string> },
): Promise<ReconcileOutcome> {
  const period = await computedPeriod(db, input.periodId);
  return db.transaction().execute(async (tx) => {
    await sql`CREATE TEMP TABLE partner_file (order_id text, kind text, points bigint, amount_minor bigint)
      ON COMMIT DROP`.execute(tx);
    let lineNo = 0;
    let batch: ReconcileLine[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      await sql`INSERT INTO partner_file SELECT * FROM unnest(${batch.map((b) => b.orderId)}::text[],
        ${batch.map((b) => b.kind)}::text[], ${batch.map((b) => b.points)}::int8[], ${batch.map((b) => b.amountMinor)}::int8[])`.execute(
        tx,
      );
      batch = [];
    };
    for await (const text of linesOf(input.file)) {
      lineNo += 1;
      if (lineNo === 1) {
        if (text.trim() !== reconcileHeader) throw missingHeader();
        continue;
      }
      if (lineNo > fileLinesMax)
        throw new AppError('payload_too_large', 'The file has too many lines.');
      if (text === '') continue;
      batch.push(parseRecord(text, lineNo));
      if (batch.length >= batchLines) await flush();
    }
    // An empty file is no statement of the partner's side: without it, every hub line would
    // read as missing at the partner.
    if (lineNo === 0) throw missingHeader();
    await flush();
    return compare(tx, period, input.partnerId);
  });
}

type Diff = {
  order_id: string;
  kind: string;
  file_points: number | null;
  file_amount: number | null;
  hub_points: number | null;
  hub_amount: number | null;
};

/** The file against the hub's books of orders booked at the partner's counters. */
async function compare(
  tx: Db,
  period: { id: string; starts_at: Date; ends_at: Date },
  partnerId: string,
): Promise<ReconcileOutcome> {
  await sql`
    CREATE TEMP TABLE reconciled ON COMMIT DROP AS
    WITH redeemed AS (
      SELECT order_id, kind, sum(points) AS points,
        sum(CASE WHEN role = 'acceptor' THEN value_minor ELSE 0 END) AS amount
      FROM settlement_lines
      WHERE period_id = ${period.id}::uuid AND partner_id = ${partnerId}::uuid AND kind <> 'expiry'
        AND order_id IS NOT NULL AND (role = 'acceptor' OR counterparty_id IS NULL)
      GROUP BY order_id, kind
    ), issued AS (
      -- The member's side of each accrual (+) and clawback (-): one posting per entry.
      SELECT e.metadata->>'orderId' AS order_id, e.kind, sum(p.amount) AS points, 0 AS amount
      FROM ledger_entries e
        JOIN ledger_postings p ON p.entry_id = e.id
        JOIN ledger_accounts a ON a.id = p.account_id AND a.kind = 'member_points'
      WHERE e.partner_id = ${partnerId}::uuid AND e.kind IN ('accrual', 'accrual_clawback')
        AND e.booked_at >= ${period.starts_at.toISOString()}::timestamptz
        AND e.booked_at < ${period.ends_at.toISOString()}::timestamptz
        AND e.metadata ? 'orderId'
      GROUP BY 1, 2
    ), hub AS (
      SELECT * FROM redeemed UNION ALL SELECT * FROM issued
    ), file AS (
      SELECT order_id, kind, sum(points) AS points, sum(amount_minor) AS amount
      FROM partner_file GROUP BY order_id, kind
    )
    SELECT coalesce(f.order_id, h.order_id) AS order_id, coalesce(f.kind, h.kind) AS kind,
      f.points::int8 AS file_points, f.amount::int8 AS file_amount,
      h.points::int8 AS hub_points, h.amount::int8 AS hub_amount
    FROM file f FULL JOIN hub h ON h.order_id = f.order_id AND h.kind = f.kind`.execute(tx);
  const { rows: counts } = await sql<{ kind: string; state: State; n: number }>`
    SELECT kind, CASE WHEN hub_points IS NULL THEN 'missingAtHub' WHEN file_points IS NULL THEN 'missingAtPartner'
      WHEN hub_points = file_points AND hub_amount = file_amount THEN 'matched' ELSE 'mismatched' END AS state,
      count(*)::int8 AS n FROM reconciled GROUP BY 1, 2`.execute(tx);
  const { rows } = await sql<Diff>`
    SELECT * FROM reconciled WHERE hub_points IS NULL OR file_points IS NULL
      OR hub_points <> file_points OR hub_amount <> file_amount
    ORDER BY order_id, kind LIMIT ${reportLinesMax + 1}`.execute(tx);
  const count = (state: State) => counts.reduce((sum, c) => sum + (c.state === state ? c.n : 0), 0);
  const side = (r: Diff, points: number | null, amount: number | null): ReconcileLine => ({
    orderId: r.order_id,
    kind: r.kind,
    points: points ?? 0,
    amountMinor: amount ?? 0,
  });
  const shown = rows.slice(0, reportLinesMax);
  return {
    matched: count('matched'),
    missingAtHub: shown
      .filter((r) => r.hub_points === null)
      .map((r) => side(r, r.file_points, r.file_amount)),
    missingAtPartner: shown
      .filter((r) => r.file_points === null)
      .map((r) => side(r, r.hub_points, r.hub_amount)),
    mismatched: shown
      .filter((r) => r.hub_points !== null && r.file_points !== null)
      .map((r) => ({
        orderId: r.order_id,
        kind: r.kind,
        partner: side(r, r.file_points, r.file_amount),
        hub: side(r, r.hub_points, r.hub_amount),
      })),
    truncated: rows.length > reportLinesMax,
    counts: {
      missingAtHub: count('missingAtHub'),
      missingAtPartner: count('missingAtPartner'),
      mismatched: count('mismatched'),
    },
    byKind: countsByKind(counts),
  };
}

type State = 'matched' | 'missingAtHub' | 'missingAtPartner' | 'mismatched';

/** Every kind a partner books, then any other kind the file named, by name. */
function countsByKind(counts: Array<{ kind: string; state: State; n: number }>): KindCounts[] {
  const kinds = [...new Set([...reconcileKinds, ...counts.map((c) => c.kind).sort()])];
  return kinds.map((kind) => {
    const of = (state: State) => counts.find((c) => c.kind === kind && c.state === state)?.n ?? 0;
    return {
      kind,
      matched: of('matched'),
      missingAtHub: of('missingAtHub'),
      missingAtPartner: of('missingAtPartner'),
      mismatched: of('mismatched'),
    };
  });
}
