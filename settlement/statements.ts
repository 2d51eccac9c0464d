import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import {
  AppError,
  type Db,
  type SettlementPeriod,
  type SettlementPosition,
} from '../platform/index.ts';
import { csvHeader, csvLine } from './lines.ts';

export type StatementLine = {
  line: number;
  bookedAt: string;
  entryId: string;
  kind: string;
  role: 'issuer' | 'acceptor';
  counterpartyId: string | null;
  orderId: string | null;
  points: number;
  valueMinor: number;
  feeMinor: number;
};

/** A partner's figures for a period, each the sum of its statement lines. */
export type PositionFigures = {
  lineCount: number;
  owedToOthersMinor: number;
  owedByOthersMinor: number;
  feesMinor: number;
  breakagePoints: number;
  netMinor: number;
};

/** The figures of a stored position; all zero for a partner without lines in the period. */
export function figuresOf(p: SettlementPosition | undefined): PositionFigures {
  return {
    lineCount: p?.line_count ?? 0,
    owedToOthersMinor: p?.owed_to_others_minor ?? 0,
    owedByOthersMinor: p?.owed_by_others_minor ?? 0,
    feesMinor: p?.fees_minor ?? 0,
    breakagePoints: p?.breakage_points ?? 0,
    netMinor: p?.net_minor ?? 0,
  };
}

export type Statement = {
  periodId: string;
  localDate: string;
  startsAt: string;
  endsAt: string;
  status: SettlementPeriod['status'];
  partnerId: string;
  currency: string;
  totals: PositionFigures;
  /** sha256 of the CSV form of this statement, fixed when the period was computed. */
  digest: string;
  /** The period's digest and hub fees: what the signature binds this statement to. */
  periodDigest: string | null;
  periodHubFeesMinor: number | null;
  lines: StatementLine[];
  /** The `after` of the next page of lines; null on the last page. */
  next: number | null;
};

/** Lines per page of a JSON statement: by default, and at most. */
export const statementPageLines = 1000;
export const statementPageLinesMax = 5000;

/** Lines per statement page read from the database at a time when streaming CSV. */
const csvChunkLines = 5000;

export function localDateOf(period: { local_date: Date }): string {
  return period.local_date.toISOString().slice(0, 10);
}

/** A computed (or later) period; finance and partners see nothing of a period in progress. */
export async function computedPeriod(db: Db, periodId: string): Promise<SettlementPeriod> {
  const period = await db
    .selectFrom('settlement_periods')
    .selectAll()
    .where('id', '=', periodId)
    .executeTakeFirst();
  if (!period) throw new AppError('not_found', 'No such settlement period.');
  if (period.status === 'closed')
    throw new AppError('conflict', 'The period is closed but not computed yet.');
  return period;
}

/**
 * One partner's statement of one period, scoped to that partner, one page of lines at a time
 * (keyset on the line number, like the CSV is read); the totals are always the whole
 * statement's. A partner without lines in the period gets an empty statement with zero totals
 * (whether the partner exists is the caller's to check).
 */
export async function getStatement(
  db: Db,
  input: { periodId: string; partnerId: string; limit?: number; after?: number },
): Promise<Statement> {
  const period = await computedPeriod(db, input.periodId);
  const limit = Math.min(input.limit ?? statementPageLines, statementPageLinesMax);
  const position = await db
    .selectFrom('settlement_positions')
    .selectAll()
    .where('period_id', '=', period.id)
    .where('partner_id', '=', input.partnerId)
    .executeTakeFirst();
  const lines = await db
    .selectFrom('settlement_lines')
    .selectAll()
    .where('period_id', '=', period.id)
    .where('partner_id', '=', input.partnerId)
    .where('line_no', '>', input.after ?? 0)
    .orderBy('line_no')
    .limit(limit)
    .execute();
  const last = lines.at(-1);
  return {
    periodId: period.id,
    localDate: localDateOf(period),
    startsAt: period.starts_at.toISOString(),
    endsAt: period.ends_at.toISOString(),
    status: period.status,
    partnerId: input.partnerId,
    currency: period.currency,
    totals: figuresOf(position),
    digest: position?.digest ?? emptyDigest,
    periodDigest: period.digest,
    periodHubFeesMinor: period.hub_fees_minor,
    next: last !== undefined && last.line_no < (position?.line_count ?? 0) ? last.line_no : null,
    lines: lines.map((l) => ({
      line: l.line_no,
      bookedAt: l.booked_at.toISOString(),
      entryId: l.entry_id,
      kind: l.kind,
      role: l.role,
      counterpartyId: l.counterparty_id,
      orderId: l.order_id,
      points: l.points,
      valueMinor: l.value_minor,
      feeMinor: l.fee_minor,
    })),
  };
}

/** The digest of a statement without lines: its CSV is the header alone. */
const emptyDigest = createHash('sha256').update(`${csvHeader}\n`).digest('hex');

/**
 * The statement as CSV, produced page by page so that a statement of a million lines is never
 * held whole. Its sha256 equals the digest stored when the period was computed. The period is
 * checked before the first byte, so that a refusal is an error answer, not a cut stream.
 */
export async function statementCsv(
  db: Db,
  input: { periodId: string; partnerId: string },
): Promise<AsyncGenerator<string>> {
  const period = await computedPeriod(db, input.periodId);
  return csvPages(db, period.id, input.partnerId);
}

async function* csvPages(db: Db, periodId: string, partnerId: string): AsyncGenerator<string> {
  yield `${csvHeader}\n`;
  let after = 0;
  for (;;) {
    const { rows } = await sql<{ line_no: number; text: string }>`
      SELECT l.line_no, ${csvLine} AS text FROM settlement_lines l
      WHERE l.period_id = ${periodId}::uuid AND l.partner_id = ${partnerId}::uuid AND l.line_no > ${after}::int8
      ORDER BY l.line_no LIMIT ${csvChunkLines}`.execute(db);
    if (rows.length === 0) return;
    yield rows.map((r) => `${r.text}\n`).join('');
    after = rows.at(-1)?.line_no ?? after;
  }
}

export type PartnerPeriod = {
  periodId: string;
  localDate: string;
  startsAt: string;
  endsAt: string;
  status: SettlementPeriod['status'];
  netMinor: number;
  digest: string;
};

/** The computed periods, newest first, with this partner's net and statement digest. */
export async function partnerPeriods(
  db: Db,
  partnerId: string,
  limit: number,
): Promise<PartnerPeriod[]> {
  const rows = await db
    .selectFrom('settlement_periods as p')
    .leftJoin('settlement_positions as s', (join) =>
      join.onRef('s.period_id', '=', 'p.id').on('s.partner_id', '=', partnerId),
    )
    .select([
      'p.id',
      'p.local_date',
      'p.starts_at',
      'p.ends_at',
      'p.status',
      's.net_minor',
      's.digest',
    ])
    .where('p.status', '<>', 'closed')
    .orderBy('p.starts_at', 'desc')
    .limit(Math.min(limit, 100))
    .execute();
  return rows.map((r) => ({
    periodId: r.id,
    localDate: localDateOf(r),
    startsAt: r.starts_at.toISOString(),
    endsAt: r.ends_at.toISOString(),
    status: r.status,
    netMinor: r.net_minor ?? 0,
    digest: r.digest ?? emptyDigest,
  }));
}
