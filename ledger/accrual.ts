import { sql } from 'kysely';
import { AppError, type Clock, type Db, isStorableTime, isUuid, newId } from '../platform/index.ts';
import {
  type AccountDirectory,
  lockOrder,
  memberPointsKey,
  partnerPointsKey,
  pointsAsset,
} from './accounts.ts';
import type { Settled } from './group-commit.ts';
import { canonicalJson, digest, replayStored, type StoredRequest } from './journal.ts';
import { validateKey, validatePoints } from './validate.ts';

export type AccrualInput = {
  /** The issuing partner; also the owner of the idempotency key. */
  partnerId: string;
  memberId: string;
  points: number;
  idempotencyKey: string;
  expiresAt: Date;
  metadata?: Record<string, unknown>;
};

export type AccrualOutcome = { entryId: string; lotId: string; points: number; bookedAt: string };
export type AccrualResult = AccrualOutcome & { replayed: boolean };

/** An accrual ready for a batch: checked, digested, its entry and lot ids made in advance. */
export type PlannedAccrual = { input: AccrualInput; hash: string; entryId: string; lotId: string };

/**
 * Checks an accrual and plans it. A bad input is refused here, before it joins a batch, so that
 * it fails its own caller and not the batch.
 */
export function planAccrual(input: AccrualInput): PlannedAccrual {
  validatePoints(input.points, 'points');
  validateKey(input.idempotencyKey);
  if (!(input.expiresAt instanceof Date) || !isStorableTime(input.expiresAt)) {
    throw new AppError('validation_failed', 'expiresAt is not a valid time', {
      fields: [{ field: 'expiresAt', reason: 'not a valid time' }],
    });
  }
  for (const [field, id] of [
    ['partnerId', input.partnerId],
    ['memberId', input.memberId],
  ] as const) {
    if (typeof id !== 'string' || !isUuid(id)) {
      throw new AppError('validation_failed', `${field} is not a uuid`, {
        fields: [{ field, reason: 'not a uuid' }],
      });
    }
  }
  return { input, hash: accrualHash(input), entryId: newId(), lotId: newId() };
}

/**
 * requestHash of { op: 'accrual', partnerId, memberId, points, expiresAt, metadata }, with the
 * canonical JSON of the fixed fields written out in key order: the same digest, without
 * walking and sorting an object per accrual on the hot path.
 */
export function accrualHash(input: AccrualInput): string {
  const { partnerId, memberId, points, expiresAt, metadata } = input;
  const meta = metadata === undefined ? '' : `"metadata":${canonicalJson(metadata)},`;
  return digest(
    `{"expiresAt":${JSON.stringify(expiresAt.toISOString())},"memberId":${JSON.stringify(memberId)},${meta}"op":"accrual","partnerId":${JSON.stringify(partnerId)},"points":${JSON.stringify(points)}}`,
  );
}

const ownerKey = (i: AccrualInput) => `${i.partnerId}\u0000${i.idempotencyKey}`;

type Placed = PlannedAccrual & { memberAccount: string; issuerAccount: string };

/**
 * Appends planned accruals with multi-row statements, in the caller's transaction (`executor`
 * is a transaction) or as one statement committed on its own (`executor` is the pool).
 * Returns the entry ids written; an accrual whose key was already taken (in an earlier batch,
 * or in one committing concurrently) is not written. Keys must be unique within `planned`.
 * `shard` picks the issuers' partner_issued shard: batches written at the same time must use
 * different shards, or the later waits for the earlier's commit on the issuers' rows.
 */
export async function appendAccruals(
  deps: { accounts: AccountDirectory },
  executor: Db,
  planned: PlannedAccrual[],
  shard: number,
  bookedAt: Date,
): Promise<Set<string>> {
  if (planned.length === 0) return new Set();
  const tx = executor.isTransaction ? executor : undefined;
  const memberAccounts = await deps.accounts.ids(
    planned.map((p) => memberPointsKey(p.input.memberId)),
    tx,
  );
  // A batch has hundreds of accruals but only a few dozen issuers: look each up once.
  const issuers = [...new Set(planned.map((p) => p.input.partnerId))];
  const issuerIds = await deps.accounts.ids(
    issuers.map((p) => partnerPointsKey(p, 'partner_issued', shard)),
    tx,
  );
  const issuerAccount = new Map(issuers.map((p, i) => [p, issuerIds[i] ?? '']));
  const placed = planned.map((p, i) => ({
    ...p,
    memberAccount: memberAccounts[i] ?? '',
    issuerAccount: issuerAccount.get(p.input.partnerId) ?? '',
  }));
  return writeFresh(executor, placed, bookedAt);
}

/**
 * The ledger's own batch: accruals with nothing beside them (what ledger.accrue writes). A key
 * repeated in the batch, or already used, is answered from its stored first answer.
 */
export async function writeAccrualBatch(
  deps: { db: Db; accounts: AccountDirectory; clock: Clock },
  items: PlannedAccrual[],
  shard: number,
): Promise<Settled<AccrualResult>[]> {
  const primaries = new Map<string, PlannedAccrual>();
  for (const item of items) {
    const k = ownerKey(item.input);
    if (!primaries.has(k)) primaries.set(k, item);
  }
  const bookedAt = deps.clock.now();
  const at = bookedAt.toISOString();
  const written = await appendAccruals(deps, deps.db, [...primaries.values()], shard, bookedAt);
  const replays = items.filter((item) => !written.has(item.entryId));
  const stored = replays.length > 0 ? await storedAnswers(deps.db, replays) : new Map();
  return items.map((item): Settled<AccrualResult> => {
    if (written.has(item.entryId)) {
      const { entryId, lotId } = item;
      return {
        value: { entryId, lotId, points: item.input.points, bookedAt: at, replayed: false },
      };
    }
    try {
      const found = stored.get(ownerKey(item.input));
      if (!found) throw new Error('ledger: idempotency key claimed but no stored answer found');
      return { value: { ...replayStored<AccrualOutcome>(found, item.hash), replayed: true } };
    } catch (error) {
      return { error };
    }
  });
}

/**
 * The whole batch in ONE statement, committed on its own (no BEGIN/COMMIT round trips): it
 * locks every account in the global order (the scalar subquery runs before any row is written),
 * claims the idempotency keys (a key already taken, even by a batch committing concurrently, is
 * skipped), and appends entries, postings and lots for the claimed keys only. The postings
 * trigger then updates each account's balance once. Returns the entry ids written.
 */
async function writeFresh(db: Db, planned: Placed[], bookedAt: Date): Promise<Set<string>> {
  const accounts = [...new Set(planned.flatMap((p) => [p.memberAccount, p.issuerAccount]))];
  const at = bookedAt.toISOString();
  const { rows } = await sql<{ locked: number; claimed: number; fresh: string | null }>`
    WITH input AS (
      SELECT * FROM unnest(
        ${plainArray(planned.map((p) => p.input.partnerId))}::uuid[], ${plainArray(planned.map((p) => p.input.memberId))}::uuid[],
        ${quotedArray(planned.map((p) => p.input.idempotencyKey))}::text[], ${plainArray(planned.map((p) => p.hash))}::text[],
        ${plainArray(planned.map((p) => p.entryId))}::uuid[], ${plainArray(planned.map((p) => p.lotId))}::uuid[],
        ${plainArray(planned.map((p) => p.input.points))}::int8[], ${plainArray(planned.map((p) => p.input.expiresAt.toISOString()))}::timestamptz[],
        ${quotedArray(planned.map((p) => (p.input.metadata === undefined ? '{}' : JSON.stringify(p.input.metadata))))}::jsonb[],
        ${plainArray(planned.map((p) => p.memberAccount))}::uuid[], ${plainArray(planned.map((p) => p.issuerAccount))}::uuid[])
        AS t(partner_id, member_id, key, hash, entry_id, lot_id, points, expires_at, metadata, member_account, issuer_account)
    ), locked AS (
      SELECT id FROM ledger_accounts WHERE id = ANY(${plainArray(accounts)}::uuid[])
      ORDER BY ${lockOrder} FOR UPDATE
    ), claimed AS (
      INSERT INTO ledger_requests (owner_id, idempotency_key, request_hash, entry_id, outcome)
      SELECT partner_id, key, hash, entry_id,
        jsonb_build_object('entryId', entry_id, 'lotId', lot_id, 'points', points, 'bookedAt', ${at}::text)
      FROM input WHERE (SELECT count(*) FROM locked) = ${accounts.length}
      ON CONFLICT (owner_id, idempotency_key) DO NOTHING
      RETURNING entry_id
    ), fresh AS (
      SELECT input.* FROM input JOIN claimed USING (entry_id)
    ), entries AS (
      INSERT INTO ledger_entries (id, kind, booked_at, partner_id, member_id, metadata)
      SELECT entry_id, 'accrual', ${at}::timestamptz, partner_id, member_id, metadata FROM fresh
    ), postings AS (
      INSERT INTO ledger_postings (entry_id, account_id, asset, amount, booked_at)
      SELECT entry_id, member_account, ${pointsAsset}, points, ${at}::timestamptz FROM fresh
      UNION ALL
      SELECT entry_id, issuer_account, ${pointsAsset}, -points, ${at}::timestamptz FROM fresh
    ), lots AS (
      INSERT INTO ledger_lots (id, account_id, member_id, issuer_partner_id, entry_id, amount, remaining, issued_at, expires_at)
      SELECT lot_id, member_account, member_id, partner_id, entry_id, points, points, ${at}::timestamptz, expires_at FROM fresh
    ), counts AS (
      SELECT (SELECT count(*) FROM locked)::int AS locked, (SELECT count(*) FROM claimed)::int AS claimed
    )
    -- Which keys were claimed is sent back only when some were not (a retry): usually all are.
    SELECT locked, claimed, CASE WHEN claimed < ${planned.length} THEN (SELECT string_agg(entry_id::text, ',') FROM claimed) END AS fresh
    FROM counts`.execute(db);
  const row = rows[0];
  if (row === undefined || row.locked !== accounts.length)
    throw new Error('ledger: locking an account that does not exist');
  if (row.claimed === planned.length) return new Set(planned.map((p) => p.entryId));
  return new Set(row.fresh === null ? [] : row.fresh.split(','));
}

/**
 * An array literal of values that need no quoting (uuids, base64url digests, ISO times and
 * integers, all made or checked here). Building it is far cheaper than the driver's general
 * element-by-element escaping, which showed in profiles of the hot path.
 */
function plainArray(values: Array<string | number>): string {
  return `{${values.join(',')}}`;
}

/** An array literal of arbitrary strings: each quoted, with backslashes and quotes escaped. */
function quotedArray(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(quoteOrBackslash, '\\$&')}"`).join(',')}}`;
}

const quoteOrBackslash = /["\\]/g;

/** The stored first answers of requests whose key was already used. */
async function storedAnswers(db: Db, items: PlannedAccrual[]): Promise<Map<string, StoredRequest>> {
  const { rows } = await sql<StoredRequest & { owner_id: string; idempotency_key: string }>`
    SELECT r.owner_id, r.idempotency_key, r.request_hash, r.entry_id, r.outcome FROM ledger_requests r
    JOIN unnest(${items.map((i) => i.input.partnerId)}::uuid[], ${items.map((i) => i.input.idempotencyKey)}::text[])
      AS w(owner_id, idempotency_key) USING (owner_id, idempotency_key)`.execute(db);
  return new Map(rows.map((r) => [`${r.owner_id}\u0000${r.idempotency_key}`, r]));
}
