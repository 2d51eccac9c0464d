import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { metricsRegistry } from './metrics.ts';

/**
 * Several hub processes on one machine (HUB_PROCESSES): a primary forks them with node:cluster,
 * they share the port (the primary hands connections round-robin), and each is told its index
 * (HUB_PROCESS_INDEX), by which it takes its own range of the issuers' accrual shards. The
 * primary restarts a process that dies, passes SIGTERM and SIGINT on, and answers /metrics
 * for all of them: a process asked for /metrics asks the primary, which sums every process's
 * metrics (prom-client's cluster aggregation).
 */

const scrapeRequest = 'hub:metrics-request';
const scrapeAnswer = 'hub:metrics-answer';
const listening = 'hub:listening';
const scrapeTimeoutMs = 5_000;

type Message =
  | { type: typeof scrapeRequest; id: number }
  | { type: typeof scrapeAnswer; id: number; body?: string; error?: string }
  | { type: typeof listening; url?: string };

export type Scrape = { body: string; contentType: string };

/** This process's metrics, or, in a process of a cluster, every process's summed. */
export async function scrapeMetrics(): Promise<Scrape> {
  if (!cluster.isWorker) {
    return { body: await metricsRegistry.metrics(), contentType: metricsRegistry.contentType };
  }
  return { body: await askPrimary(), contentType: metricsRegistry.contentType };
}

let nextId = 0;
const waiting = new Map<number, { resolve(body: string): void; reject(e: Error): void }>();

function askPrimary(): Promise<string> {
  const id = nextId;
  nextId += 1;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      reject(new Error('the primary process did not answer for the metrics'));
    }, scrapeTimeoutMs);
    waiting.set(id, {
      resolve: (body) => {
        clearTimeout(timer);
        resolve(body);
      },
      reject: (error) => {
        clearTimeout(timer);
        reject(error);
      },
    });
    process.send?.({ type: scrapeRequest, id } satisfies Message);
  });
}

/**
 * In a process of a cluster: answer the primary's requests for this process's metrics, take
 * the answers to our own scrapes, and say when the gateway listens.
 */
export function joinCluster(): { listening(url: string | undefined): void } {
  if (!cluster.isWorker) return { listening: () => {} };
  // Constructed for its effect: prom-client answers the primary's metric requests from here.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([metricsRegistry]);
  process.on('message', (message: Message) => {
    if (message.type !== scrapeAnswer) return;
    const pending = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.error !== undefined) pending?.reject(new Error(message.error));
    else pending?.resolve(message.body ?? '');
  });
  return { listening: (url) => process.send?.({ type: listening, url } satisfies Message) };
}

/** The primary: forks the processes, keeps them running, and stops them on a signal. */
export function runPrimary(config: Config, logger: Logger, role: string): void {
  const count = config.processes.count;
  const aggregator = new AggregatorRegistry();
  const indexOf = new Map<Worker, number>();
  const ready = new Set<number>();
  let stopping = false;
  const fork = (index: number) => {
    const worker = cluster.fork({ HUB_PROCESS_INDEX: String(index) });
    indexOf.set(worker, index);
    worker.on('message', (message: Message) => {
      if (message.type === listening) {
        ready.add(index);
        if (ready.size === count)
          logger.info({ role, url: message.url, processes: count }, 'hub started');
      }
      if (message.type !== scrapeRequest) return;
      aggregator.clusterMetrics().then(
        (body: string) => worker.send({ type: scrapeAnswer, id: message.id, body }),
        (error: Error) => worker.send({ type: scrapeAnswer, id: message.id, error: error.message }),
      );
    });
  };
  cluster.on('exit', (worker, code, signal) => {
    const index = indexOf.get(worker);
    indexOf.delete(worker);
    if (stopping || index === undefined) {
      if (indexOf.size === 0) process.exit(0);
      return;
    }
    // A process that died is replaced; its shard range goes to the new one.
    logger.error({ index, code, signal }, 'hub process died; starting another');
    fork(index);
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping every hub process');
    for (const worker of indexOf.keys()) worker.process.kill(signal);
    if (indexOf.size === 0) process.exit(0);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  for (let index = 0; index < count; index += 1) fork(index);
}
