import { createHash } from 'node:crypto';
import { type Kysely, sql, type Transaction } from 'kysely';
import { AppError, type Database, type ProblemType } from '../platform/index.ts';
import { lockOrder, type OwnerType } from './accounts.ts';

export type Tx = Transaction<Database> | Kysely<Database>;

export type PostingSpec = { accountId: string; asset: string; amount: number };

export type EntrySpec = {
  id: string;
  kind: string;
  bookedAt: Date;
  partnerId: string | null;
  memberId: string | null;
  reversesEntryId?: string | null;
  metadata?: Record<string, unknown>;
  postings: PostingSpec[];
};

/** Checked here before writing, and again by the database trigger: postings sum to zero per asset. */
export function assertBalanced(entry: EntrySpec): void {
  if (entry.postings.length < 2)
    throw new Error(`ledger entry ${entry.id} needs at least two postings`);
  const sums = new Map<string, number>();
  for (const p of entry.postings) {
    if (!Number.isSafeInteger(p.amount) || p.amount === 0) {
      throw new Error(
        `ledger entry ${entry.id}: posting amount ${p.amount} is not a non-zero integer`,
      );
    }
    sums.set(p.asset, (sums.get(p.asset) ?? 0) + p.amount);
  }
  for (const [asset, sum] of sums) {
    if (sum !== 0) throw new Error(`ledger entry ${entry.id} is not balanced in ${asset}: ${sum}`);
  }
}

/** Appends whole entries: two multi-row statements, however many entries. */
export async function appendEntries(tx: Tx, entries: EntrySpec[]): Promise<void> {
  if (entries.length === 0) return;
  for (const e of entries) assertBalanced(e);
  await sql`
    INSERT INTO ledger_entries (id, kind, booked_at, partner_id, member_id, reverses_entry_id, metadata)
    SELECT id, kind, booked_at, partner_id, member_id, reverses_entry_id, metadata::jsonb FROM unnest(${entries.map((e) => e.id)}::uuid[], ${entries.map((e) => e.kind)}::text[],
      ${entries.map((e) => e.bookedAt.toISOString())}::timestamptz[], ${entries.map((e) => e.partnerId)}::uuid[],
      ${entries.map((e) => e.memberId)}::uuid[], ${entries.map((e) => e.reversesEntryId ?? null)}::uuid[],
      ${entries.map((e) => JSON.stringify(e.metadata ?? {}))}::text[])
      AS t(id, kind, booked_at, partner_id, member_id, reverses_entry_id, metadata)`.execute(tx);
  const postings = entries.flatMap((e) =>
    e.postings.map((p) => ({ ...p, entryId: e.id, bookedAt: e.bookedAt })),
  );
  await sql`
    INSERT INTO ledger_postings (entry_id, account_id, asset, amount, booked_at)
    SELECT * FROM unnest(${postings.map((p) => p.entryId)}::uuid[], ${postings.map((p) => p.accountId)}::uuid[],
      ${postings.map((p) => p.asset)}::text[], ${postings.map((p) => p.amount)}::int8[],
      ${postings.map((p) => p.bookedAt.toISOString())}::timestamptz[])`.execute(tx);
}

export type LockedAccount = {
  id: string;
  owner_type: OwnerType;
  balance: number;
  held: number;
  floor: number | null;
};

/** Locks accounts in the global order (see ownerRank) and returns their current state. */
export async function lockAccounts(tx: Tx, ids: string[]): Promise<Map<string, LockedAccount>> {
  const unique = [...new Set(ids)];
  const { rows } = await sql<LockedAccount>`
    SELECT id, owner_type, balance, held, floor FROM ledger_accounts WHERE id = ANY(${unique}::uuid[])
    ORDER BY ${lockOrder} FOR UPDATE`.execute(tx);
  if (rows.length !== unique.length)
    throw new Error('ledger: locking an account that does not exist');
  return new Map(rows.map((r) => [r.id, r]));
}

/** A stable digest of a request's meaning: key order and whitespace do not matter. */
export function requestHash(request: unknown): string {
  return digest(canonicalJson(request));
}

export function digest(canonical: string): string {
  return createHash('sha256').update(canonical).digest('base64url');
}

export function canonicalJson(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What was stored for an idempotency key: a result, or a rejection to repeat. */
export type StoredRequest = {
  request_hash: string;
  entry_id: string | null;
  outcome: Record<string, unknown>;
};

export type Rejection = { rejected: ProblemType; detail: string };

export async function findRequest(
  tx: Tx,
  ownerId: string,
  key: string,
): Promise<StoredRequest | undefined> {
  return tx
    .selectFrom('ledger_requests')
    .select(['request_hash', 'entry_id', 'outcome'])
    .where('owner_id', '=', ownerId)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
}

/**
 * The answer to a retried request: the first answer again (a rejection is thrown again), or
 * a conflict when the same key came with another request.
 */
export function replayStored<T>(stored: StoredRequest, hash: string): T {
  if (stored.request_hash !== hash) {
    throw new AppError(
      'idempotency_key_reused',
      'This idempotency key was already used for a different request.',
    );
  }
  const rejection = stored.outcome as Partial<Rejection>;
  if (typeof rejection.rejected === 'string') {
    throw new AppError(rejection.rejected, rejection.detail ?? '', { extra: { replayed: true } });
  }
  return stored.outcome as T;
}

export async function storeRequest(
  tx: Tx,
  row: {
    ownerId: string;
    key: string;
    hash: string;
    entryId: string | null;
    outcome: Record<string, unknown>;
  },
): Promise<void> {
  await tx
    .insertInto('ledger_requests')
    .values({
      owner_id: row.ownerId,
      idempotency_key: row.key,
      request_hash: row.hash,
      entry_id: row.entryId,
      outcome: row.outcome,
    })
    .execute();
}
