import {
  KeptAnswer,
  type KeyedRequest,
  keepAnswers,
  keptAnswer,
  type StoredResponse,
} from '../partners/index.ts';
import { AppError, type Db, isAppError, isUniqueViolation, killPoint } from '../platform/index.ts';
import type { CounterDeps } from './deps.ts';

/**
 * A till's request under its Idempotency-Key, as the gateway hands it to a use case: the key,
 * the digest of the request, and how a refusal is told (the problem body the gateway renders),
 * so that the use case keeps exactly what the till is sent.
 */
export type TillRequestKey = KeyedRequest & { refusal(error: AppError): StoredResponse };

/** The answer a use case keeps for its key: the JSON text the gateway sends with status 200. */
export function answered(body: unknown): StoredResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}

/** Refusals worth keeping as a key's final answer: not transient (429, 409 in progress, 5xx). */
function keepsRefusal(error: AppError): boolean {
  return (
    error.status >= 400 &&
    error.status < 500 &&
    error.type !== 'rate_limited' &&
    error.type !== 'idempotency_in_progress' &&
    error.type !== 'idempotency_key_reused'
  );
}

class KeyTakenMeanwhile extends Error {}

/** What a use case decided: its answer, and whether it is the first answer told again. */
export type Outcome<T> = { answer: T; replayed: boolean };

/**
 * Runs one till use case in ONE transaction with its kept answer: a key answered before is
 * answered the same (KeptAnswer is thrown for the gateway to send); otherwise `work` decides,
 * and its answer is kept under the key in the same transaction, so that the answer exists
 * exactly when what it reports does. A refusal thrown by `work` rolls back everything it did,
 * and is then kept under the key in a second, small transaction. A twin request that commits
 * first (a unique index says so) makes `work` decide again, now seeing it. `name` is the use
 * case's name for crash tests' kill points.
 */
export async function once<T>(
  deps: CounterDeps,
  name: string,
  key: TillRequestKey | undefined,
  work: (tx: Db) => Promise<Outcome<T>>,
): Promise<Outcome<T>> {
  const { db, clock, config } = deps.services;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const outcome = await db.transaction().execute(async (tx) => {
        if (key) {
          const kept = await keptAnswer(tx, key);
          if (kept) throw new KeptAnswer(kept);
        }
        const decided = await work(tx);
        if (key) {
          const response = answered(decided.answer);
          const kept = await keepAnswers(tx, [{ ...key, response }], clock.now());
          // Another request with this key committed while this one ran: its answer stands.
          if (kept !== 1) throw new KeyTakenMeanwhile();
        }
        killPoint(config, `${name}:before-commit`);
        return decided;
      });
      killPoint(config, `${name}:after-commit`);
      return outcome;
    } catch (error) {
      if (isUniqueViolation(error) && attempt < attemptsMax) continue;
      if (error instanceof KeyTakenMeanwhile && key) {
        const kept = await keptAnswer(db, key);
        if (kept) throw new KeptAnswer(kept);
        throw new AppError('idempotency_in_progress', undefined, { retryAfterSeconds: 1 });
      }
      if (key && isAppError(error) && keepsRefusal(error))
        await keepAnswer(deps, key, key.refusal(error));
      throw error;
    }
  }
}

const attemptsMax = 3;

/**
 * Keeps an answer under its key in a transaction of its own (a refusal, after its use case
 * rolled back; a batch request's answer, after its purchases committed). If another request
 * with the key kept one meanwhile, that one is sent instead (KeptAnswer).
 */
export async function keepAnswer(
  deps: CounterDeps,
  key: TillRequestKey,
  response: StoredResponse,
): Promise<void> {
  const { db, clock } = deps.services;
  if ((await keepAnswers(db, [{ ...key, response }], clock.now())) === 1) return;
  const first = await keptAnswer(db, key);
  if (first) throw new KeptAnswer(first);
}
