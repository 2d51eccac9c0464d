import { type Job, Queue, Worker } from 'bullmq';
import { jobDuration, jobFailures, watchQueue } from './metrics.ts';
import { queuePrefix } from './queues.ts';
import type { Services } from './services.ts';

/**
 * A background job as a domain declares it: the queue it lives on, what to do with one job,
 * and optionally a schedule on which BullMQ's job scheduler enqueues it.
 */
export type JobDefinition = {
  queue: string;
  /**
   * Runs the job; it must be idempotent, since BullMQ may deliver a job more than once, and a
   * run past its timeout is retried while the first may still be finishing. The signal aborts
   * when the run times out or the worker closes: work that can stop early should.
   */
  process(services: Services, job: Job, signal?: AbortSignal): Promise<unknown>;
  schedule?: { everyMs: number } | { pattern: string; tz?: string };
  concurrency?: number;
  /** How long one run may take before it fails and is retried; default jobTimeoutDefaultMs. */
  timeoutMs?: number;
};

/**
 * How workers notice a dead process: a running job holds a lock that its worker renews every
 * lockDurationMs / 2; a job whose lock has lapsed is found by the stalled-job check (every
 * stalledIntervalMs, in any worker of the queue) and put back to wait, once (BullMQ's
 * maxStalledCount 1; a job that stalls again fails, and its schedule runs the work next time).
 */
export type WorkerOptions = { lockDurationMs?: number; stalledIntervalMs?: number };

export type RunningWorkers = { stop(): Promise<void>; queues: Map<string, Queue> };

const attemptsMax = 5;
/** Every job so far finishes in seconds; one still running after minutes is stuck. */
export const jobTimeoutDefaultMs = 5 * 60_000;
const lockDurationDefaultMs = 30_000;
const stalledIntervalDefaultMs = 30_000;

/** A job that ran past its definition's timeoutMs. */
export class JobTimeoutError extends Error {
  override name = 'JobTimeoutError';
}

/**
 * Runs one job with a deadline. A promise cannot be stopped from outside, so at the deadline
 * the signal aborts (for work that listens) and the run is reported failed at once: BullMQ
 * frees the worker's slot, stops renewing the lock and retries the job later. A run that
 * never settles is left behind; it holds no slot.
 */
export async function runWithTimeout<T>(
  timeoutMs: number,
  work: (signal: AbortSignal) => Promise<T>,
  outer?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  const abort = () => controller.abort(outer?.reason);
  outer?.addEventListener('abort', abort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new JobTimeoutError(`the job did not finish within ${timeoutMs} ms`);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  const running = work(controller.signal);
  // If the deadline wins, a later failure of the abandoned run is nobody's to handle.
  running.catch(() => {});
  try {
    return await Promise.race([running, deadline]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', abort);
  }
}

async function schedule(queue: Queue, definition: JobDefinition): Promise<void> {
  if (!definition.schedule) return;
  const repeat =
    'everyMs' in definition.schedule
      ? { every: definition.schedule.everyMs }
      : { pattern: definition.schedule.pattern, tz: definition.schedule.tz };
  await queue.upsertJobScheduler(`${definition.queue}:schedule`, repeat, {
    name: definition.queue,
    opts: {
      attempts: attemptsMax,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: 1000,
      removeOnFail: 5000,
    },
  });
}

/**
 * What a job carries so that its lines join the request that caused it: the gateway's request
 * id (X-Request-Id). Enqueue with `{ ...data, ...jobContext(requestId) }`.
 */
export function jobContext(requestId: string | undefined): { requestId?: string } {
  return requestId ? { requestId } : {};
}

const enqueuers = new WeakMap<Services, Map<string, Queue>>();

/**
 * Adds a job for the work role, with the id of the request that caused it (if any) in its data,
 * so that the job's log lines carry the same request id as the gateway's. Retried like
 * scheduled jobs (five attempts, backoff from 1 s).
 */
export async function enqueueJob(
  services: Services,
  queueName: string,
  data: Record<string, unknown>,
  options: { requestId?: string; jobId?: string } = {},
): Promise<void> {
  const mine = enqueuers.get(services) ?? new Map<string, Queue>();
  enqueuers.set(services, mine);
  const queue =
    mine.get(queueName) ??
    new Queue(queueName, { connection: services.queueRedis, prefix: queuePrefix(services.config) });
  mine.set(queueName, queue);
  await queue.add(
    queueName,
    { ...data, ...jobContext(options.requestId) },
    {
      jobId: options.jobId,
      attempts: attemptsMax,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: 1000,
      removeOnFail: 5000,
    },
  );
}

function jobLogger(services: Services, queue: string, job: Job) {
  const data: unknown = job.data;
  const requestId =
    typeof data === 'object' && data !== null && 'requestId' in data
      ? String((data as { requestId: unknown }).requestId)
      : undefined;
  return services.logger.child({ queue, jobId: job.id, ...(requestId ? { requestId } : {}) });
}

function startWorker(
  services: Services,
  definition: JobDefinition,
  options: WorkerOptions,
): Worker {
  const timeoutMs = definition.timeoutMs ?? jobTimeoutDefaultMs;
  const processor = async (
    job: Job,
    _token: string | undefined,
    signal: AbortSignal | undefined,
  ) => {
    const endTimer = jobDuration.startTimer({ queue: definition.queue });
    // A job caused by a request logs under that request's id (jobData's requestId).
    const logger = jobLogger(services, definition.queue, job);
    try {
      const result = await runWithTimeout(
        timeoutMs,
        (s) => definition.process({ ...services, logger }, job, s),
        signal,
      );
      endTimer({ outcome: 'completed' });
      return result;
    } catch (error) {
      endTimer({ outcome: 'failed' });
      throw error;
    }
  };
  const worker = new Worker(definition.queue, processor, {
    connection: services.queueRedis,
    prefix: queuePrefix(services.config),
    concurrency: definition.concurrency ?? 1,
    lockDuration: options.lockDurationMs ?? lockDurationDefaultMs,
    stalledInterval: options.stalledIntervalMs ?? stalledIntervalDefaultMs,
    maxStalledCount: 1,
  });
  const logger = services.logger.child({ queue: definition.queue });
  worker.on('failed', (job, error) => {
    jobFailures.inc({ queue: definition.queue });
    logger.error({ err: error, jobId: job?.id, attempt: job?.attemptsMade }, 'job failed');
  });
  worker.on('stalled', (jobId) => {
    logger.warn({ jobId }, 'job stalled (its worker died or hung); it runs again');
  });
  // Redis going away is reported here, again and again while it is away; BullMQ reconnects
  // by itself. Without a listener the errors would go to the console.
  let lastErrorLogMs = 0;
  worker.on('error', (error) => {
    if (Date.now() - lastErrorLogMs < 10_000) return;
    lastErrorLogMs = Date.now();
    logger.warn({ err: error }, 'worker error');
  });
  return worker;
}

export async function startWorkers(
  services: Services,
  definitions: JobDefinition[],
  options: WorkerOptions = {},
): Promise<RunningWorkers> {
  const prefix = queuePrefix(services.config);
  const queues = new Map<string, Queue>();
  const workers: Worker[] = [];
  const unwatch: Array<() => void> = [];
  for (const definition of definitions) {
    const queue = new Queue(definition.queue, { connection: services.queueRedis, prefix });
    queues.set(definition.queue, queue);
    unwatch.push(
      watchQueue(definition.queue, () =>
        queue.getJobCounts('waiting', 'active', 'delayed', 'failed'),
      ),
    );
    await schedule(queue, definition);
    workers.push(startWorker(services, definition, options));
  }
  // A Redis that comes back without its data (restarted with no persistence, or replaced)
  // has no job schedulers: without this, scheduled work would stop until the next restart.
  const reschedule = () => {
    for (const definition of definitions) {
      const queue = queues.get(definition.queue);
      if (!queue) continue;
      schedule(queue, definition).catch((error: unknown) => {
        services.logger.warn({ err: error, queue: definition.queue }, 'job schedule not renewed');
      });
    }
  };
  services.queueRedis.on('ready', reschedule);
  return {
    queues,
    stop: async () => {
      services.queueRedis.off('ready', reschedule);
      for (const forget of unwatch) forget();
      // close() waits for jobs in progress to finish (each at most its timeout) first.
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}
