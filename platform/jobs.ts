import { type Job, Queue, Worker } from 'bullmq';
import { queuePrefix } from './queues.ts';
import type { Services } from './services.ts';

/**
 * A background job as a domain declares it: the queue it lives on, what to do with one job,
 * and optionally a schedule on which BullMQ's job scheduler enqueues it.
 */
export type JobDefinition = {
  queue: string;
  /** Runs the job; it must be idempotent, since BullMQ may deliver a job more than once. */
  process(services: Services, job: Job): Promise<unknown>;
  schedule?: { everyMs: number } | { pattern: string; tz?: string };
  concurrency?: number;
};

export type RunningWorkers = { stop(): Promise<void>; queues: Map<string, Queue> };

const attemptsMax = 5;

export async function startWorkers(
  services: Services,
  definitions: JobDefinition[],
): Promise<RunningWorkers> {
  const prefix = queuePrefix(services.config);
  const connection = services.queueRedis;
  const queues = new Map<string, Queue>();
  const workers: Worker[] = [];
  for (const definition of definitions) {
    const queue = new Queue(definition.queue, { connection, prefix });
    queues.set(definition.queue, queue);
    if (definition.schedule) {
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
    const worker = new Worker(definition.queue, (job) => definition.process(services, job), {
      connection,
      prefix,
      concurrency: definition.concurrency ?? 1,
    });
    worker.on('failed', (job, error) => {
      services.logger.error({ err: error, queue: definition.queue, jobId: job?.id }, 'job failed');
    });
    workers.push(worker);
  }
  return {
    queues,
    stop: async () => {
      // close() waits for jobs in progress to finish before resolving.
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}
