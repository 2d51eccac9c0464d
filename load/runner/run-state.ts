import { AsyncLocalStorage } from 'node:async_hooks';
import { Agent } from 'node:http';
import { MetricStore, type Tags } from './metrics.ts';

/**
 * What one run shares between the runner and the k6 modules it stands in for: the metric
 * samples, the checks, the virtual user an iteration runs as, and the journal of every
 * money-moving exchange, which the audit compares with the ledger after the run.
 */

/** The virtual user an iteration runs as (k6 gives each its own runtime; here, a context). */
export type Iteration = {
  vu: number;
  /** This VU's iteration number, from 0. */
  iter: number;
  iterationInTest: number;
  scenario: string;
  tags: Tags;
};

/** One signed partner POST and what came back, as the audit reads it. */
export type Exchange = {
  method: string;
  path: string;
  requestBody: string;
  /** 0 when no answer came (timeout, connection refused). */
  status: number;
  responseBody: string;
};

export const metrics = new MetricStore();
metrics.define('http_reqs', 'counter');
metrics.define('http_req_duration', 'trend', 'time');
metrics.define('http_req_waiting', 'trend', 'time');
metrics.define('http_req_failed', 'rate');
metrics.define('data_sent', 'counter', 'data');
metrics.define('data_received', 'counter', 'data');
metrics.define('iterations', 'counter');
metrics.define('iteration_duration', 'trend', 'time');
metrics.define('dropped_iterations', 'counter');
metrics.define('checks', 'rate');
metrics.define('vus', 'gauge');
metrics.define('vus_max', 'gauge');

/** Passes and fails per check name, in the order checks were first seen. */
export const checkTally = new Map<string, { passes: number; fails: number }>();

export const journal: Exchange[] = [];

const current = new AsyncLocalStorage<Iteration>();

export function runIteration<T>(iteration: Iteration, work: () => Promise<T>): Promise<T> {
  return current.run(iteration, work);
}

export function currentIteration(): Iteration | undefined {
  return current.getStore();
}

/** The tags every sample of the current iteration carries. */
export function iterationTags(): Tags {
  const it = current.getStore();
  return it ? { scenario: it.scenario, ...it.tags } : {};
}

/** One pool of keep-alive connections for every virtual user, as k6's transport keeps. */
export const httpAgent = new Agent({ keepAlive: true, maxSockets: 1024 });

/**
 * Aborted when the run is over and its grace has passed: requests still in flight end, as
 * k6 interrupts iterations that outlive gracefulStop.
 */
export const hardStop = new AbortController();
