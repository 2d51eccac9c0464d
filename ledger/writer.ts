import { AppError, type Logger } from '../platform/index.ts';
import { accountShardsMax } from './accounts.ts';
import {
  type AccrualInput,
  type AccrualResult,
  type PendingAccrual,
  pendAccrual,
} from './accrual.ts';

export type AccrualWriterOptions = {
  /** Most accruals written in one transaction. */
  batchSizeMax: number;
  /** How long the first accrual of a batch waits for company before the batch is written. */
  lingerMs: number;
  /** Most accruals waiting for a batch; beyond it callers are refused at once (503). */
  queueMax: number;
  /**
   * Batches being written at once, each on its own connection and with its own shard of the
   * issuers' partner_issued accounts (shards 0 to batchesInFlightMax - 1).
   */
  batchesInFlightMax: number;
};

// Batches are written one statement each, and a batch's JavaScript (planning, encoding) can
// overlap another's time in PostgreSQL only if two or more are in flight: with 1,000 callers
// and batches of 1,000 they ran one after the other. Batches of 500, up to three at once, keep
// the writer busy at that concurrency; larger batches save little once a batch's commit (a few
// milliseconds of fsync) is shared by 500 callers.
export const accrualWriterDefaults: AccrualWriterOptions = {
  batchSizeMax: 500,
  lingerMs: 2,
  queueMax: 20_000,
  batchesInFlightMax: 3,
};

export type AccrualWriter = {
  accrue(input: AccrualInput): Promise<AccrualResult>;
  /** Stops taking accruals, writes what is queued, waits for batches in flight. */
  close(): Promise<void>;
  stats(): { queued: number; inFlight: number; batchesWritten: number };
};

/**
 * Group commit for the accrual hot path: concurrent calls are queued in process and written
 * together, one transaction per batch. Nobody is answered before their batch commits.
 */
export function createAccrualWriter(
  writeBatch: (items: PendingAccrual[], shard: number) => Promise<void>,
  logger: Logger,
  options: Partial<AccrualWriterOptions> = {},
): AccrualWriter {
  const o = { ...accrualWriterDefaults, ...options };
  // Each batch in flight has a shard of the issuers' accounts.
  if (
    !Number.isInteger(o.batchesInFlightMax) ||
    o.batchesInFlightMax < 1 ||
    o.batchesInFlightMax > accountShardsMax
  )
    throw new RangeError(
      `accrual writer: batchesInFlightMax must be an integer from 1 to ${accountShardsMax}`,
    );
  let queue: PendingAccrual[] = [];
  let inFlight = 0;
  // The shards not used by a batch in flight.
  const freeShards = Array.from({ length: o.batchesInFlightMax }, (_, i) => i);
  let batchesWritten = 0;
  let timer: NodeJS.Timeout | undefined;
  let closing = false;
  const idle: Array<() => void> = [];

  const settleIdle = () => {
    if (inFlight === 0 && queue.length === 0) for (const done of idle.splice(0)) done();
  };

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    while (queue.length > 0 && inFlight < o.batchesInFlightMax) {
      const batch = queue.slice(0, o.batchSizeMax);
      queue = queue.slice(batch.length);
      inFlight += 1;
      const shard = freeShards.pop() ?? 0;
      writeBatch(batch, shard)
        .catch((error: unknown) => {
          logger.error(
            { err: error, size: batch.length },
            'accrual batch failed; every caller in it is told',
          );
          const failure = new AppError(
            'unavailable',
            'The accrual could not be written; retry with the same idempotency key.',
          );
          for (const item of batch) item.reject(failure);
        })
        .finally(() => {
          inFlight -= 1;
          freeShards.push(shard);
          batchesWritten += 1;
          if (queue.length >= o.batchSizeMax || (queue.length > 0 && closing)) flush();
          else if (queue.length > 0) schedule();
          settleIdle();
        });
    }
  };

  const schedule = () => {
    if (timer === undefined) timer = setTimeout(flush, o.lingerMs);
  };

  return {
    accrue: (input) => {
      if (closing)
        return Promise.reject(
          new AppError('unavailable', 'The hub is shutting down; retry shortly.'),
        );
      if (queue.length >= o.queueMax) {
        return Promise.reject(
          new AppError('overloaded', 'Too many accruals are waiting; retry shortly.', {
            retryAfterSeconds: 1,
          }),
        );
      }
      return pendAccrual(input, (item) => {
        queue.push(item);
        if (queue.length >= o.batchSizeMax) flush();
        else schedule();
      });
    },
    close: async () => {
      closing = true;
      flush();
      if (inFlight > 0 || queue.length > 0)
        await new Promise<void>((resolve) => idle.push(resolve));
    },
    stats: () => ({ queued: queue.length, inFlight, batchesWritten }),
  };
}
