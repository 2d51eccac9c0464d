import { sql } from 'kysely';
import { AppError, type Db } from '../platform/index.ts';
import { memberPointsKey } from './accounts.ts';

export type MemberPoints = { balance: number; held: number; available: number };

/** A member's points now: balance, held by open holds, and what can be spent. */
export async function memberPoints(db: Db, memberId: string): Promise<MemberPoints> {
  const k = memberPointsKey(memberId);
  const row = await db
    .selectFrom('ledger_accounts')
    .select(['balance', 'held'])
    .where('owner_type', '=', k.ownerType)
    .where('owner_id', '=', k.ownerId)
    .where('kind', '=', k.kind)
    .where('asset', '=', k.asset)
    .executeTakeFirst();
  const balance = row?.balance ?? 0;
  const held = row?.held ?? 0;
  return { balance, held, available: balance - held };
}

/** An account's balance as it stood at an instant: the sum of its postings booked until then. */
export async function balanceAsOf(db: Db, accountId: string, at: Date): Promise<number> {
  const { rows } = await sql<{ balance: number }>`
    SELECT coalesce(sum(amount), 0)::int8 AS balance FROM ledger_postings
    WHERE account_id = ${accountId}::uuid AND booked_at <= ${at.toISOString()}::timestamptz`.execute(
    db,
  );
  return rows[0]?.balance ?? 0;
}

export type StatementLine = {
  postingId: number;
  entryId: string;
  kind: string;
  bookedAt: string;
  amount: number;
  balanceAfter: number;
  metadata: Record<string, unknown>;
};

export type StatementPage = {
  openingBalance: number;
  lines: StatementLine[];
  nextCursor: string | null;
};

export const statementPageSizeMax = 500;

/**
 * An account's entries over [from, to), oldest first, paged by an opaque cursor. Each line
 * carries the running balance, computed from the opening balance of the range.
 */
export async function accountStatement(
  db: Db,
  accountId: string,
  range: { from: Date; to: Date; cursor?: string | null; limit?: number },
): Promise<StatementPage> {
  const limit = Math.min(range.limit ?? 100, statementPageSizeMax);
  const after = range.cursor ? decodeCursor(range.cursor) : 0;
  const { rows: opening } = await sql<{ balance: number }>`
    SELECT coalesce(sum(amount), 0)::int8 AS balance FROM ledger_postings WHERE account_id = ${accountId}::uuid
    AND (booked_at < ${range.from.toISOString()}::timestamptz
      OR (booked_at < ${range.to.toISOString()}::timestamptz AND booked_at >= ${range.from.toISOString()}::timestamptz AND id <= ${after}::int8))`.execute(
    db,
  );
  const { rows } = await sql<{
    id: number;
    entry_id: string;
    kind: string;
    booked_at: Date;
    amount: number;
    metadata: Record<string, unknown>;
  }>`
    SELECT p.id, p.entry_id, e.kind, p.booked_at, p.amount, e.metadata FROM ledger_postings p
    JOIN ledger_entries e ON e.id = p.entry_id
    WHERE p.account_id = ${accountId}::uuid AND p.booked_at >= ${range.from.toISOString()}::timestamptz
      AND p.booked_at < ${range.to.toISOString()}::timestamptz AND p.id > ${after}::int8
    ORDER BY p.id LIMIT ${limit + 1}`.execute(db);
  let running = opening[0]?.balance ?? 0;
  const lines = rows.slice(0, limit).map((r) => {
    running += r.amount;
    return {
      postingId: r.id,
      entryId: r.entry_id,
      kind: r.kind,
      bookedAt: r.booked_at.toISOString(),
      amount: r.amount,
      balanceAfter: running,
      metadata: r.metadata,
    };
  });
  const last = lines.at(-1);
  return {
    openingBalance: opening[0]?.balance ?? 0,
    lines,
    nextCursor: rows.length > limit && last ? encodeCursor(last.postingId) : null,
  };
}

function encodeCursor(postingId: number): string {
  return Buffer.from(`p:${postingId}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const match = /^p:(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString());
  const id = match ? Number(match[1]) : Number.NaN;
  if (!Number.isSafeInteger(id)) {
    throw new AppError('validation_failed', 'The cursor is not valid.', {
      fields: [{ field: 'cursor', reason: 'not a cursor from a previous page' }],
    });
  }
  return id;
}

export type ActivityLine = {
  entryId: string;
  kind: string;
  /** The partner at whose counter it happened (or the issuer, for an expiry); null for the hub. */
  partnerId: string | null;
  /** Points in (positive) or out (negative) of the member's balance. */
  points: number;
  bookedAt: string;
  orderId: string | null;
  storeCode: string | null;
};

export type ActivityPage = { lines: ActivityLine[]; nextCursor: string | null };

/** Everything that moved a member's points, at every brand, newest first, paged. */
export async function memberActivity(
  db: Db,
  memberId: string,
  page: { cursor?: string | null; limit?: number },
): Promise<ActivityPage> {
  const k = memberPointsKey(memberId);
  const limit = Math.min(page.limit ?? 20, statementPageSizeMax);
  const before = page.cursor ? decodeCursor(page.cursor) : Number.MAX_SAFE_INTEGER;
  const { rows } = await sql<{
    id: number;
    entry_id: string;
    kind: string;
    partner_id: string | null;
    amount: number;
    booked_at: Date;
    metadata: Record<string, unknown>;
  }>`
    SELECT p.id, p.entry_id, e.kind, e.partner_id, p.amount, p.booked_at, e.metadata
    FROM ledger_accounts a
    JOIN ledger_postings p ON p.account_id = a.id
    JOIN ledger_entries e ON e.id = p.entry_id
    WHERE a.owner_type = ${k.ownerType} AND a.owner_id = ${k.ownerId}::uuid AND a.kind = ${k.kind} AND a.asset = ${k.asset}
      AND p.id < ${before}::int8
    ORDER BY p.id DESC LIMIT ${limit + 1}`.execute(db);
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  const lines = rows.slice(0, limit).map((r) => ({
    entryId: r.entry_id,
    kind: r.kind,
    partnerId: r.partner_id,
    points: r.amount,
    bookedAt: r.booked_at.toISOString(),
    orderId: text(r.metadata.orderId),
    storeCode: text(r.metadata.storeCode),
  }));
  const last = rows[limit - 1];
  return { lines, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
}

/** Points of one expiry date (a calendar date in the time zone asked for). */
export type ExpiringPoints = { date: string; points: number };

/**
 * A member's points that expire in (from, until], per calendar date in `timeZone`, earliest
 * first: what each lot still holds, less what open holds have reserved (expiry takes only
 * that; a voided hold's points rejoin their lot and are counted again).
 */
export async function memberPointsExpiring(
  db: Db,
  memberId: string,
  range: { from: Date; until: Date; timeZone: string },
): Promise<ExpiringPoints[]> {
  const k = memberPointsKey(memberId);
  const { rows } = await sql<{ date: string; points: number }>`
    SELECT to_char(l.expires_at AT TIME ZONE ${range.timeZone}, 'YYYY-MM-DD') AS date,
      sum(l.remaining - l.held)::int8 AS points
    FROM ledger_accounts a
    JOIN ledger_lots l ON l.account_id = a.id
    WHERE a.owner_type = ${k.ownerType} AND a.owner_id = ${k.ownerId}::uuid AND a.kind = ${k.kind} AND a.asset = ${k.asset}
      AND l.remaining > 0 AND l.remaining > l.held
      AND l.expires_at > ${range.from.toISOString()}::timestamptz
      AND l.expires_at <= ${range.until.toISOString()}::timestamptz
    GROUP BY 1 ORDER BY 1`.execute(db);
  return rows.map((r) => ({ date: r.date, points: Number(r.points) }));
}

export type EntryView = {
  id: string;
  kind: string;
  bookedAt: string;
  partnerId: string | null;
  memberId: string | null;
  reversesEntryId: string | null;
  metadata: Record<string, unknown>;
  postings: Array<{
    accountId: string;
    ownerType: string;
    ownerId: string;
    accountKind: string;
    asset: string;
    amount: number;
  }>;
};

/** One journal entry with its postings and the accounts they move: the bottom of a drill-down. */
export async function entryWithPostings(db: Db, entryId: string): Promise<EntryView> {
  const entry = await db
    .selectFrom('ledger_entries')
    .selectAll()
    .where('id', '=', entryId)
    .executeTakeFirst();
  if (!entry) throw new AppError('not_found', 'No such ledger entry.');
  const postings = await db
    .selectFrom('ledger_postings as p')
    .innerJoin('ledger_accounts as a', 'a.id', 'p.account_id')
    .select(['p.account_id', 'a.owner_type', 'a.owner_id', 'a.kind', 'p.asset', 'p.amount'])
    .where('p.entry_id', '=', entryId)
    .orderBy('p.id')
    .execute();
  return {
    id: entry.id,
    kind: entry.kind,
    bookedAt: entry.booked_at.toISOString(),
    partnerId: entry.partner_id,
    memberId: entry.member_id,
    reversesEntryId: entry.reverses_entry_id,
    metadata: entry.metadata,
    postings: postings.map((p) => ({
      accountId: p.account_id,
      ownerType: p.owner_type,
      ownerId: p.owner_id,
      accountKind: p.kind,
      asset: p.asset,
      amount: p.amount,
    })),
  };
}
