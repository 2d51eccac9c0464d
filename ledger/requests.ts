import {
  AppError,
  type Clock,
  type Db,
  isUniqueViolation,
  type ProblemType,
} from '../platform/index.ts';
import type { AccountDirectory } from './accounts.ts';
import { findRequest, replayStored, storeRequest, type Tx } from './journal.ts';

export type LedgerDeps = { db: Db; accounts: AccountDirectory; clock: Clock };

/** What a request's body decided: a result to store and return, or a rejection to store and repeat. */
export type Decision<T> =
  | { ok: T; entryId: string | null }
  | { rejected: ProblemType; detail: string };

export function reject<T>(rejected: ProblemType, detail: string): Decision<T> {
  return { rejected, detail };
}

export type Replayable<T> = T & { replayed: boolean };

/**
 * Runs one retryable ledger request in a transaction: a key seen before returns its first
 * answer (a rejection included); otherwise the body decides, and its answer is stored with the
 * key in the same transaction. The key's unique index is the final guard: when two copies race,
 * one commits, the other fails on the index and, run again, finds the stored answer.
 *
 * Inside a caller's transaction the request joins it, and a rejection is thrown without being
 * stored: the caller's transaction rolls back whatever it did, and the caller decides what a
 * retry is told (a refused capture must not make the hold uncapturable for good).
 */
export async function idempotent<T extends Record<string, unknown>>(
  db: Db,
  request: { ownerId: string; key: string; hash: string },
  body: (tx: Tx) => Promise<Decision<T>>,
): Promise<Replayable<T>> {
  const run = async (tx: Tx): Promise<{ replay: T } | { decision: Decision<T> }> => {
    const stored = await findRequest(tx, request.ownerId, request.key);
    if (stored) return { replay: replayStored<T>(stored, request.hash) };
    const decision = await body(tx);
    if (db.isTransaction && 'rejected' in decision) return { decision };
    const outcome =
      'ok' in decision ? decision.ok : { rejected: decision.rejected, detail: decision.detail };
    const entryId = 'ok' in decision ? decision.entryId : null;
    await storeRequest(tx, {
      ownerId: request.ownerId,
      key: request.key,
      hash: request.hash,
      entryId,
      outcome,
    });
    return { decision };
  };
  for (let attempt = 1; ; attempt += 1) {
    try {
      // Inside a caller's transaction the request joins it: it commits or rolls back with it.
      const decided = db.isTransaction ? await run(db) : await db.transaction().execute(run);
      if ('replay' in decided) return Object.assign({}, decided.replay, { replayed: true });
      const { decision } = decided;
      if ('ok' in decision) return Object.assign({}, decision.ok, { replayed: false });
      throw new AppError(decision.rejected, decision.detail);
    } catch (error) {
      if (!db.isTransaction && attempt < 3 && isUniqueViolation(error)) continue;
      throw error;
    }
  }
}
