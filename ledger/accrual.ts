import { sql } from 'kysely';
import { AppError, type Clock, type Db, newId } from '../platform/index.ts';
import {
  type AccountDirectory,
  memberPointsKey,
  partnerPointsKey,
  pointsAsset,
} from './accounts.ts';
import {
  appendEntries,
  lockAccounts,
  replayStored,
  requestHash,
  type StoredRequest,
} from './journal.ts';
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

export type PendingAccrual = {
  input: AccrualInput;
  hash: string;
  resolve(result: AccrualResult): void;
  reject(error: unknown): void;
};

export function prepareAccrual(input: AccrualInput): string {
  validatePoints(input.points, 'points');
  validateKey(input.idempotencyKey);
  if (!(input.expiresAt instanceof Date) || Number.isNaN(input.expiresAt.getTime())) {
    throw new AppError('validation_failed', 'expiresAt is not a valid time', {
      fields: [{ field: 'expiresAt', reason: 'not a valid time' }],
    });
  }
  const { partnerId, memberId, points, expiresAt, metadata } = input;
  return requestHash({ op: 'accrual', partnerId, memberId, points, expiresAt, metadata });
}

const ownerKey = (i: AccrualInput) => `${i.partnerId}\u0000${i.idempotencyKey}`;

/**
 * Writes a batch of accruals in ONE transaction with multi-row statements. Each request is
 * answered only after the commit; if the transaction fails, every request in it fails.
 * Retried keys (in this batch, in an earlier one, or in one committing concurrently) apply once.
 */
export async function writeAccrualBatch(
  deps: { db: Db; accounts: AccountDirectory; clock: Clock },
  items: PendingAccrual[],
): Promise<void> {
  const primaries = new Map<string, PendingAccrual>();
  const repeats: PendingAccrual[] = [];
  for (const item of items) {
    const k = ownerKey(item.input);
    if (primaries.has(k)) repeats.push(item);
    else primaries.set(k, item);
  }
  const list = [...primaries.values()];
  const memberAccounts = await deps.accounts.ids(
    list.map((i) => memberPointsKey(i.input.memberId)),
  );
  const issuerAccounts = await deps.accounts.ids(
    list.map((i) => partnerPointsKey(i.input.partnerId, 'partner_issued')),
  );
  const bookedAt = deps.clock.now();
  const planned = list.map((item, i) => ({
    item,
    entryId: newId(),
    lotId: newId(),
    memberAccount: memberAccounts[i] ?? '',
    issuerAccount: issuerAccounts[i] ?? '',
  }));
  const outcomeOf = (p: (typeof planned)[number]): AccrualOutcome => ({
    entryId: p.entryId,
    lotId: p.lotId,
    points: p.item.input.points,
    bookedAt: bookedAt.toISOString(),
  });

  const written = await deps.db.transaction().execute(async (tx) => {
    await lockAccounts(tx, [...memberAccounts, ...issuerAccounts]);
    const claimed = await sql<{ owner_id: string; idempotency_key: string }>`
      INSERT INTO ledger_requests (owner_id, idempotency_key, request_hash, entry_id, outcome)
      SELECT o, k, h, e, x::jsonb FROM unnest(
        ${planned.map((p) => p.item.input.partnerId)}::uuid[], ${planned.map((p) => p.item.input.idempotencyKey)}::text[],
        ${planned.map((p) => p.item.hash)}::text[], ${planned.map((p) => p.entryId)}::uuid[],
        ${planned.map((p) => JSON.stringify(outcomeOf(p)))}::text[]) AS t(o, k, h, e, x)
      ON CONFLICT (owner_id, idempotency_key) DO NOTHING
      RETURNING owner_id, idempotency_key`.execute(tx);
    const fresh = new Set(claimed.rows.map((r) => `${r.owner_id}\u0000${r.idempotency_key}`));
    const toWrite = planned.filter((p) => fresh.has(ownerKey(p.item.input)));
    await appendEntries(
      tx,
      toWrite.map((p) => ({
        id: p.entryId,
        kind: 'accrual',
        bookedAt,
        partnerId: p.item.input.partnerId,
        memberId: p.item.input.memberId,
        metadata: p.item.input.metadata,
        postings: [
          { accountId: p.memberAccount, asset: pointsAsset, amount: p.item.input.points },
          { accountId: p.issuerAccount, asset: pointsAsset, amount: -p.item.input.points },
        ],
      })),
    );
    await insertLots(tx, toWrite, bookedAt);
    return fresh;
  });

  const replays: PendingAccrual[] = [...repeats];
  for (const p of planned) {
    if (written.has(ownerKey(p.item.input))) p.item.resolve({ ...outcomeOf(p), replayed: false });
    else replays.push(p.item);
  }
  if (replays.length > 0) await answerReplays(deps.db, replays);
}

type PlannedLot = { item: PendingAccrual; lotId: string; entryId: string; memberAccount: string };

async function insertLots(
  tx: Parameters<typeof appendEntries>[0],
  lots: PlannedLot[],
  issuedAt: Date,
): Promise<void> {
  if (lots.length === 0) return;
  await sql`
    INSERT INTO ledger_lots (id, account_id, member_id, issuer_partner_id, entry_id, amount, remaining, issued_at, expires_at)
    SELECT id, a, m, p, e, n, n, ${issuedAt.toISOString()}::timestamptz, x FROM unnest(
      ${lots.map((l) => l.lotId)}::uuid[], ${lots.map((l) => l.memberAccount)}::uuid[],
      ${lots.map((l) => l.item.input.memberId)}::uuid[], ${lots.map((l) => l.item.input.partnerId)}::uuid[],
      ${lots.map((l) => l.entryId)}::uuid[], ${lots.map((l) => l.item.input.points)}::int8[],
      ${lots.map((l) => l.item.input.expiresAt.toISOString())}::timestamptz[]) AS t(id, a, m, p, e, n, x)`.execute(
    tx,
  );
}

/** Requests whose key was already used: the stored answer, or a conflict. */
async function answerReplays(db: Db, items: PendingAccrual[]): Promise<void> {
  const { rows } = await sql<StoredRequest & { owner_id: string; idempotency_key: string }>`
    SELECT r.owner_id, r.idempotency_key, r.request_hash, r.entry_id, r.outcome FROM ledger_requests r
    JOIN unnest(${items.map((i) => i.input.partnerId)}::uuid[], ${items.map((i) => i.input.idempotencyKey)}::text[])
      AS w(owner_id, idempotency_key) USING (owner_id, idempotency_key)`.execute(db);
  const stored = new Map(rows.map((r) => [`${r.owner_id}\u0000${r.idempotency_key}`, r]));
  for (const item of items) {
    const found = stored.get(ownerKey(item.input));
    try {
      if (!found) throw new Error('ledger: idempotency key claimed but no stored answer found');
      item.resolve({ ...replayStored<AccrualOutcome>(found, item.hash), replayed: true });
    } catch (error) {
      item.reject(error);
    }
  }
}
