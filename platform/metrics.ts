import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus metrics (GET /metrics). One registry per process, made once: each
 * domain records into the metric it owns here, and what can be read at scrape time (queue
 * depths, writers' queues, database pool) is read then, from whatever registered itself.
 * prom-client's default metrics add process CPU, memory, GC and event-loop lag.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, eventLoopMonitoringPrecision: 20 });

/** Latency buckets (seconds) from a fast read to a request stuck behind a full pool. */
const latencyBuckets = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const httpRequests = new Counter({
  name: 'hub_http_requests_total',
  help: 'HTTP requests answered, by method, route pattern and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [metricsRegistry],
});

export const httpDuration = new Histogram({
  name: 'hub_http_request_duration_seconds',
  help: 'Time from a request arriving to its answer, by method, route pattern and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: latencyBuckets,
  registers: [metricsRegistry],
});

export const signatureRefusals = new Counter({
  name: 'hub_signature_refusals_total',
  help: 'Signed partner requests refused before their handler, by reason',
  labelNames: ['reason'] as const,
  registers: [metricsRegistry],
});

export const writerBatchSize = new Histogram({
  name: 'hub_ledger_batch_size',
  help: 'Items in each group-commit batch written, by writer',
  labelNames: ['writer'] as const,
  buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500],
  registers: [metricsRegistry],
});

export const writerCommitSeconds = new Histogram({
  name: 'hub_ledger_batch_commit_seconds',
  help: 'Time to write and commit one group-commit batch, by writer',
  labelNames: ['writer'] as const,
  buckets: latencyBuckets,
  registers: [metricsRegistry],
});

export const jobDuration = new Histogram({
  name: 'hub_job_duration_seconds',
  help: 'Time one background job run took, by queue and outcome',
  labelNames: ['queue', 'outcome'] as const,
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900],
  registers: [metricsRegistry],
});

export const jobFailures = new Counter({
  name: 'hub_job_failures_total',
  help: 'Background job runs that failed (each is retried), by queue',
  labelNames: ['queue'] as const,
  registers: [metricsRegistry],
});

/** Something whose state is read when the metrics are scraped. */
type Source<T> = () => T;

const writers = new Set<{ name: string; stats: Source<{ queued: number; inFlight: number }> }>();

/** A group-commit writer reports its queue while it runs; the returned call forgets it. */
export function watchWriter(
  name: string,
  stats: Source<{ queued: number; inFlight: number }>,
): () => void {
  const entry = { name, stats };
  writers.add(entry);
  return () => writers.delete(entry);
}

new Gauge({
  name: 'hub_ledger_writer_queued',
  help: 'Items waiting for a group-commit batch, by writer',
  labelNames: ['writer'] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const w of writers) this.inc({ writer: w.name }, w.stats().queued);
  },
});

new Gauge({
  name: 'hub_ledger_batches_in_flight',
  help: 'Group-commit batches being written now, by writer',
  labelNames: ['writer'] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const w of writers) this.inc({ writer: w.name }, w.stats().inFlight);
  },
});

type QueueCounts = Source<Promise<Record<string, number>>>;
const queues = new Map<string, QueueCounts>();

/** A BullMQ queue's job counts by state, read at scrape time; the returned call forgets it. */
export function watchQueue(name: string, counts: QueueCounts): () => void {
  queues.set(name, counts);
  return () => queues.delete(name);
}

new Gauge({
  name: 'hub_queue_jobs',
  help: 'Background jobs by queue and state (waiting, active, delayed, failed)',
  labelNames: ['queue', 'state'] as const,
  registers: [metricsRegistry],
  // Every process of a machine reads the same queues from Redis: not a sum.
  aggregator: 'max',
  async collect() {
    this.reset();
    await Promise.all(
      [...queues].map(async ([queue, counts]) => {
        // A scrape while Redis is away shows no depths rather than failing.
        const byState = await counts().catch(() => ({}));
        for (const [state, n] of Object.entries(byState)) this.set({ queue, state }, n);
      }),
    );
  },
});

/** The database pool as the process uses it: counted by the driver (platform/db-driver.ts). */
export const dbPool = { max: 0, statementsInFlight: 0, transactionsOpen: 0 };

new Gauge({
  name: 'hub_db_pool_max',
  help: 'Connections the process may open to PostgreSQL',
  registers: [metricsRegistry],
  collect() {
    this.set(dbPool.max);
  },
});

const poolDemand = () => dbPool.transactionsOpen + dbPool.statementsInFlight;

new Gauge({
  name: 'hub_db_pool_in_use',
  help: 'Connections busy now: open transactions and statements running outside one',
  registers: [metricsRegistry],
  collect() {
    this.set(Math.min(dbPool.max, poolDemand()));
  },
});

new Gauge({
  name: 'hub_db_pool_waiting',
  help: 'Statements and transactions waiting for a free connection',
  registers: [metricsRegistry],
  collect() {
    this.set(Math.max(0, poolDemand() - dbPool.max));
  },
});
