import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { AppError, type Db, type JobDefinition, newId } from '../platform/index.ts';

/**
 * Idempotency-Key records (the conventions of the IETF Idempotency-Key draft and Stripe).
 * A key is claimed by the first request with a lease; its answer is stored when it is done;
 * later requests with the same key and the same request get that stored answer, with another
 * request a 422, and while the first is still running a 409. A claim whose lease ran out (its
 * process died) may be taken over; the ledger's own unique idempotency index stays the final
 * guard against applying a money movement twice.
 */

/** How long a claim is protected before another request may take it over. */
export const idempotencyLeaseMs = 30_000;
/** Keys are kept at least this long; the cleanup job deletes older ones. */
export const idempotencyRetentionMs = 24 * 60 * 60 * 1000;
const cleanupBatchMax = 5_000;
const cleanupBatchesPerRun = 20;

export type StoredResponse = { status: number; headers: Record<string, string>; body: string };

export type IdempotencyClaim =
  | { kind: 'claimed'; leaseId: string }
  | { kind: 'replay'; response: StoredResponse };

/** What makes two requests "the same request": method, path with query, body digest. */
export function requestHash(method: string, pathWithQuery: string, bodyDigest: string): string {
  return createHash('sha256')
    .update(`${method.toUpperCase()}\n${pathWithQuery}\n${bodyDigest}`)
    .digest('hex');
}

/** A request under an Idempotency-Key: whose key, and what makes it the same request. */
export type KeyedRequest = { partnerId: string; key: string; requestHash: string };

/** What is kept under a key, for a request that carries it. */
export type KeptState =
  | { kind: 'answer'; response: StoredResponse }
  /** The key was first used with another request. */
  | { kind: 'reused' }
  /** A request of the lease kind holds the key and has not answered yet. */
  | { kind: 'in_progress' };

/**
 * The answer already kept for a key, read in the caller's transaction (the use case that will
 * keep its own answer there if none is found): the stored response when the request is the
 * same; idempotency_key_reused when it is another; 409 while a lease holds it; undefined for
 * a new key.
 */
export async function keptAnswer(
  db: Db,
  request: KeyedRequest,
): Promise<StoredResponse | undefined> {
  const state = (await keptStates(db, [request])).get(keyedName(request));
  if (state === undefined) return undefined;
  if (state.kind === 'reused') throw keyReused();
  if (state.kind === 'in_progress')
    throw new AppError('idempotency_in_progress', undefined, { retryAfterSeconds: 1 });
  return state.response;
}

/** `${partnerId} ${key}`: how keptStates names its results. */
export function keyedName(request: { partnerId: string; key: string }): string {
  return `${request.partnerId} ${request.key}`;
}

/** What is kept under several keys (of one or more partners), in one statement. */
export async function keptStates(
  db: Db,
  requests: KeyedRequest[],
): Promise<Map<string, KeptState>> {
  const found = new Map<string, KeptState>();
  if (requests.length === 0) return found;
  const { rows } = await sql<{
    partner_id: string;
    key: string;
    request_hash: string;
    state: 'in_progress' | 'done';
    response_status: number | null;
    response_headers: Record<string, string> | null;
    response_body: string | null;
  }>`
    SELECT k.partner_id, k.key, k.request_hash, k.state, k.response_status, k.response_headers, k.response_body
    FROM idempotency_keys k
    JOIN unnest(${requests.map((r) => r.partnerId)}::uuid[], ${requests.map((r) => r.key)}::text[]) AS w(partner_id, key)
      ON k.partner_id = w.partner_id AND k.key = w.key`.execute(db);
  const byKey = new Map(rows.map((r) => [keyedName({ partnerId: r.partner_id, key: r.key }), r]));
  for (const request of requests) {
    const name = keyedName(request);
    const row = byKey.get(name);
    if (!row) continue;
    if (row.request_hash !== request.requestHash) found.set(name, { kind: 'reused' });
    else if (row.state !== 'done' || row.response_status === null)
      found.set(name, { kind: 'in_progress' });
    else
      found.set(name, {
        kind: 'answer',
        response: {
          status: row.response_status,
          headers: row.response_headers ?? {},
          body: row.response_body ?? '',
        },
      });
  }
  return found;
}

/** The refusal a request gets when its key was first used with another request. */
export function keyReused(): AppError {
  return new AppError(
    'idempotency_key_reused',
    'This Idempotency-Key was first used with another method, path or body.',
  );
}

/**
 * Keeps answers under their keys, in the transaction of the use case that gave them, so that
 * the answer exists exactly when what it reports does. Returns how many were kept: fewer than
 * given means a request with one of the keys committed meanwhile, and the caller's transaction
 * must not commit as if it were first.
 */
export async function keepAnswers(
  db: Db,
  answers: Array<KeyedRequest & { response: StoredResponse }>,
  now: Date,
): Promise<number> {
  if (answers.length === 0) return 0;
  const at = now.toISOString();
  const { rows } = await sql<{ key: string }>`
    INSERT INTO idempotency_keys (partner_id, key, request_hash, state, lease_id, locked_at,
      response_status, response_headers, response_body, created_at, completed_at)
    SELECT partner_id, key, request_hash, 'done', lease_id, ${at}::timestamptz, status, headers, body,
      ${at}::timestamptz, ${at}::timestamptz
    FROM unnest(${answers.map((a) => a.partnerId)}::uuid[], ${answers.map((a) => a.key)}::text[],
      ${answers.map((a) => a.requestHash)}::text[], ${answers.map(() => newId())}::uuid[],
      ${answers.map((a) => a.response.status)}::int2[], ${answers.map((a) => JSON.stringify(a.response.headers))}::jsonb[],
      ${answers.map((a) => a.response.body)}::text[])
      AS t(partner_id, key, request_hash, lease_id, status, headers, body)
    ON CONFLICT (partner_id, key) DO NOTHING
    RETURNING key`.execute(db);
  return rows.length;
}

/** A kept answer repeated to a retry: thrown by a use case, sent as it was kept. */
export class KeptAnswer extends Error {
  override name = 'KeptAnswer';
  readonly response: StoredResponse;
  constructor(response: StoredResponse) {
    super('a kept answer');
    this.response = response;
  }
}

export async function claimIdempotencyKey(
  db: Db,
  claim: { partnerId: string; key: string; requestHash: string; now: Date },
): Promise<IdempotencyClaim> {
  // A claim released between our insert and our read (a 5xx answer) is simply tried again.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const leaseId = newId();
    const inserted = await db
      .insertInto('idempotency_keys')
      .values({
        partner_id: claim.partnerId,
        key: claim.key,
        request_hash: claim.requestHash,
        state: 'in_progress',
        lease_id: leaseId,
        locked_at: claim.now,
        created_at: claim.now,
      })
      .onConflict((oc) => oc.columns(['partner_id', 'key']).doNothing())
      .returning('lease_id')
      .executeTakeFirst();
    if (inserted) return { kind: 'claimed', leaseId };
    const existing = await existingClaim(db, claim);
    if (existing) return existing;
  }
  throw new AppError('idempotency_in_progress', 'The request with this key is being retried.');
}

async function existingClaim(
  db: Db,
  claim: { partnerId: string; key: string; requestHash: string; now: Date },
): Promise<IdempotencyClaim | undefined> {
  const row = await db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('partner_id', '=', claim.partnerId)
    .where('key', '=', claim.key)
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.request_hash !== claim.requestHash) throw keyReused();
  if (row.state === 'done' && row.response_status !== null) {
    return {
      kind: 'replay',
      response: {
        status: row.response_status,
        headers: row.response_headers ?? {},
        body: row.response_body ?? '',
      },
    };
  }
  if (claim.now.getTime() - row.locked_at.getTime() < idempotencyLeaseMs) {
    throw new AppError('idempotency_in_progress', undefined, { retryAfterSeconds: 1 });
  }
  // The first request's process has not finished within the lease: take the claim over.
  // Comparing the old lease id makes the take-over happen once, however many retries race.
  const leaseId = newId();
  const taken = await db
    .updateTable('idempotency_keys')
    .set({ lease_id: leaseId, locked_at: claim.now })
    .where('partner_id', '=', claim.partnerId)
    .where('key', '=', claim.key)
    .where('state', '=', 'in_progress')
    .where('lease_id', '=', row.lease_id)
    .returning('lease_id')
    .executeTakeFirst();
  if (!taken) throw new AppError('idempotency_in_progress', undefined, { retryAfterSeconds: 1 });
  return { kind: 'claimed', leaseId };
}

/** Stores the answer; false when the lease was taken over meanwhile (the answer is dropped). */
export async function completeIdempotencyKey(
  db: Db,
  done: { partnerId: string; key: string; leaseId: string; response: StoredResponse; now: Date },
): Promise<boolean> {
  const updated = await db
    .updateTable('idempotency_keys')
    .set({
      state: 'done',
      response_status: done.response.status,
      response_headers: done.response.headers,
      response_body: done.response.body,
      completed_at: done.now,
    })
    .where('partner_id', '=', done.partnerId)
    .where('key', '=', done.key)
    .where('lease_id', '=', done.leaseId)
    .where('state', '=', 'in_progress')
    .executeTakeFirst();
  return updated.numUpdatedRows > 0n;
}

/** Gives the key up (the hub failed, 5xx): a retry with the same key runs the request again. */
export async function releaseIdempotencyKey(
  db: Db,
  held: { partnerId: string; key: string; leaseId: string },
): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('partner_id', '=', held.partnerId)
    .where('key', '=', held.key)
    .where('lease_id', '=', held.leaseId)
    .where('state', '=', 'in_progress')
    .execute();
}

/** Deletes keys older than the retention, a bounded batch at a time; returns how many. */
export async function deleteExpiredIdempotencyKeys(db: Db, now: Date): Promise<number> {
  const before = new Date(now.getTime() - idempotencyRetentionMs);
  let deleted = 0;
  for (let batch = 0; batch < cleanupBatchesPerRun; batch += 1) {
    const result = await db
      .deleteFrom('idempotency_keys')
      .where(({ eb, refTuple, selectFrom }) =>
        eb(
          refTuple('partner_id', 'key'),
          'in',
          selectFrom('idempotency_keys')
            .select(['partner_id', 'key'])
            .where('created_at', '<', before)
            .limit(cleanupBatchMax)
            .$asTuple('partner_id', 'key'),
        ),
      )
      .executeTakeFirst();
    const n = Number(result.numDeletedRows);
    deleted += n;
    if (n < cleanupBatchMax) break;
  }
  return deleted;
}

export const idempotencyCleanupJob: JobDefinition = {
  queue: 'idempotency-cleanup',
  schedule: { everyMs: 60 * 60 * 1000 },
  process: async (services) => ({
    deleted: await deleteExpiredIdempotencyKeys(services.db, services.clock.now()),
  }),
};
