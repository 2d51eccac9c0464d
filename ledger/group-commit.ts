import {
  AppError,
  isDataException,
  isTransientDbError,
  type Logger,
  watchWriter,
  writerBatchSize,
  writerCommitSeconds,
} from '../platform/index.ts';
import { accountShardsMax } from './accounts.ts';

export type GroupCommitOptions = {
  /** Most items written in one transaction. */
  batchSizeMax: number;
  /** How long the first item of a batch waits for company before the batch is written. */
  lingerMs: number;
  /** Most items waiting for a batch; beyond it callers are refused at once (503). */
  queueMax: number;
  /**
   * Batches being written at once by one writer, each on its own connection and with its own
   * shard of the issuers' partner_issued accounts.
   */
  batchesInFlightMax: number;
  /** The writer's name in the metrics (hub_ledger_batch_size{writer=...}). */
  name: string;
};

// Batches are written one transaction each, and a batch's JavaScript (planning, encoding) can
// overlap another's time in PostgreSQL only if two or more are in flight: with 1,000 callers
// and batches of 1,000 they ran one after the other. Batches of 500, up to three at once, keep
// the writer busy at that concurrency; larger batches save little once a batch's commit (a few
// milliseconds of fsync) is shared by 500 callers.
export const groupCommitDefaults: GroupCommitOptions = {
  batchSizeMax: 500,
  lingerMs: 2,
  queueMax: 20_000,
  batchesInFlightMax: 3,
  name: 'accruals',
};

/** One item's outcome in a batch that was written: its answer, or why it alone was refused. */
export type Settled<A> = { value: A } | { error: unknown };

/**
 * Writes a batch: one outcome per item, in order, once the batch's transaction has committed.
 * `shard` is the partner_issued shard this batch alone uses while it is in flight.
 */
export type BatchWrite<I, A> = (items: I[], shard: number) => Promise<Settled<A>[]>;

export type GroupCommitWriter<I, A> = {
  submit(item: I): Promise<A>;
  /** Stops taking items, writes what is queued, waits for batches in flight. */
  close(): Promise<void>;
  stats(): { queued: number; inFlight: number; batchesWritten: number };
};

/**
 * The shards of the issuers' accounts that this process's batches in flight hold. Every
 * writer of a ledger takes its shard here, so no two batches in flight ever share one and
 * none waits for another's commit on an issuer's row.
 */
export type ShardPool = { take(): number | undefined; give(shard: number): void };

/** Which of the issuers' shards a process's writers may use: `count` from `first`. */
export type ShardRange = { first: number; count: number };

/**
 * Processes on one database split the shards between them, each its own range, so that the
 * batches of two processes never lock the same issuer row: with 64 shards and 4 processes,
 * process 2 writes shards 32 to 47.
 */
export function processShards(processes: { index: number; count: number }): ShardRange {
  const first = Math.floor((accountShardsMax * processes.index) / processes.count);
  const end = Math.floor((accountShardsMax * (processes.index + 1)) / processes.count);
  return { first, count: end - first };
}

export const allShards: ShardRange = { first: 0, count: accountShardsMax };

export function createShardPool(range: ShardRange = allShards): ShardPool {
  if (range.first < 0 || range.count < 1 || range.first + range.count > accountShardsMax)
    throw new RangeError(
      `shard range ${range.first}+${range.count} is outside 0-${accountShardsMax - 1}`,
    );
  const free = Array.from({ length: range.count }, (_, i) => range.first + range.count - 1 - i);
  return {
    take: () => free.pop(),
    give: (shard) => {
      free.push(shard);
    },
  };
}

type Pending<I, A> = { item: I; resolve(answer: A): void; reject(error: unknown): void };

/** Deadlocks and serialization failures are the database asking for the batch again. */
const rerunsMax = 2;

/**
 * Group commit: concurrent calls are queued in process and written together, one transaction
 * per batch. Nobody is answered before their batch commits. A batch that PostgreSQL refuses for
 * something in its data is split in halves and each half written again, down to single items,
 * so that one caller's bad item fails that caller only; a batch that fails because the database
 * is unreachable fails every caller in it with 503, and they retry.
 */
export function createGroupCommit<I, A>(
  write: BatchWrite<I, A>,
  shards: ShardPool,
  logger: Logger,
  options: Partial<GroupCommitOptions> = {},
): GroupCommitWriter<I, A> {
  const o = { ...groupCommitDefaults, ...options };
  if (
    !Number.isInteger(o.batchesInFlightMax) ||
    o.batchesInFlightMax < 1 ||
    o.batchesInFlightMax > accountShardsMax
  )
    throw new RangeError(
      `group commit: batchesInFlightMax must be an integer from 1 to ${accountShardsMax}`,
    );
  let queue: Pending<I, A>[] = [];
  let inFlight = 0;
  let batchesWritten = 0;
  let timer: NodeJS.Timeout | undefined;
  let closing = false;
  const idle: Array<() => void> = [];
  const unwatch = watchWriter(o.name, () => ({ queued: queue.length, inFlight }));
  const labels = { writer: o.name };

  const settleIdle = () => {
    if (inFlight === 0 && queue.length === 0) for (const done of idle.splice(0)) done();
  };

  /** Writes `batch`, splitting it on a refusal that some of its items caused. */
  const writeSplitting = async (batch: Pending<I, A>[], shard: number): Promise<void> => {
    let answers: Settled<A>[] | undefined;
    for (let attempt = 0; answers === undefined; attempt += 1) {
      try {
        answers = await write(
          batch.map((p) => p.item),
          shard,
        );
      } catch (error) {
        if (isTransientDbError(error)) {
          if (isRetryableConflict(error) && attempt < rerunsMax) continue;
          logger.warn({ err: error, size: batch.length }, 'batch failed: database unavailable');
          const failure = new AppError(
            'unavailable',
            'The hub could not write this now; retry with the same idempotency key.',
          );
          for (const p of batch) p.reject(failure);
          return;
        }
        if (batch.length === 1) {
          for (const p of batch) p.reject(alone(error));
          return;
        }
        // Something in the batch was refused: each half again, so only its own items fail.
        const half = Math.ceil(batch.length / 2);
        await writeSplitting(batch.slice(0, half), shard);
        await writeSplitting(batch.slice(half), shard);
        return;
      }
    }
    if (answers.length !== batch.length)
      throw new Error(`group commit: ${answers.length} answers for ${batch.length} items`);
    batch.forEach((p, i) => {
      const settled = answers[i] as Settled<A>;
      if ('value' in settled) p.resolve(settled.value);
      else p.reject(settled.error);
    });
  };

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    while (queue.length > 0 && inFlight < o.batchesInFlightMax) {
      const shard = shards.take();
      if (shard === undefined) break;
      const batch = queue.slice(0, o.batchSizeMax);
      queue = queue.slice(batch.length);
      inFlight += 1;
      writerBatchSize.observe(labels, batch.length);
      const endTimer = writerCommitSeconds.startTimer(labels);
      writeSplitting(batch, shard)
        .catch((error: unknown) => {
          logger.error({ err: error, size: batch.length }, 'batch failed; every caller is told');
          for (const p of batch) p.reject(error);
        })
        .finally(() => {
          endTimer();
          inFlight -= 1;
          shards.give(shard);
          batchesWritten += 1;
          if (queue.length >= o.batchSizeMax || (queue.length > 0 && closing)) flush();
          else if (queue.length > 0) schedule();
          settleIdle();
        });
    }
    // Every shard is held by some writer's batch: try again shortly.
    if (queue.length > 0 && inFlight === 0) schedule();
  };

  const schedule = () => {
    if (timer === undefined) timer = setTimeout(flush, o.lingerMs);
  };

  return {
    submit: (item) => {
      if (closing)
        return Promise.reject(
          new AppError('unavailable', 'The hub is shutting down; retry shortly.'),
        );
      if (queue.length >= o.queueMax) {
        return Promise.reject(
          new AppError('overloaded', 'Too many requests are waiting; retry shortly.', {
            retryAfterSeconds: 1,
          }),
        );
      }
      return new Promise<A>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (queue.length >= o.batchSizeMax) flush();
        else schedule();
      });
    },
    close: async () => {
      closing = true;
      flush();
      if (inFlight > 0 || queue.length > 0)
        await new Promise<void>((resolve) => idle.push(resolve));
      unwatch();
    },
    stats: () => ({ queued: queue.length, inFlight, batchesWritten }),
  };
}

/**
 * Why an item that failed on its own is refused: a value PostgreSQL refused is the caller's
 * bad input (400), anything else stays what it was (a bug is a 500, and logged).
 */
function alone(error: unknown): unknown {
  if (!isDataException(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new AppError('validation_failed', `The request could not be stored: ${reason}.`, {
    fields: [{ field: '(body)', reason }],
  });
}

function isRetryableConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}
