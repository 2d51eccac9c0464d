/**
 * k6's executors that the load scripts use, on one event loop: constant-arrival-rate and
 * ramping-arrival-rate (open models: iterations start on a clock whether or not earlier ones
 * finished, each on a free virtual user, dropped when none is free) and constant-vus (a closed
 * model: each VU loops). After its duration a scenario waits gracefulStop for the iterations
 * still running, then counts them interrupted.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as wait } from 'node:timers/promises';
import { metrics, runIteration } from './run-state.ts';

export type Stage = { target: number; duration: string };

export type Scenario = {
  executor: 'constant-arrival-rate' | 'ramping-arrival-rate' | 'constant-vus';
  exec?: string;
  startTime?: string;
  gracefulStop?: string;
  tags?: Record<string, string>;
  env?: Record<string, string>;
  rate?: number;
  timeUnit?: string;
  duration?: string;
  preAllocatedVUs?: number;
  maxVUs?: number;
  startRate?: number;
  stages?: Stage[];
  vus?: number;
};

export type ScenarioResult = { name: string; completed: number; interrupted: number };

/** k6 durations: 500ms, 30s, 1m30s, 2h. */
export function parseDuration(text: string | undefined, fallbackMs = 0): number {
  if (text === undefined) return fallbackMs;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text)
    throw new Error(`"${text}" is not a duration (e.g. 30s, 1m30s, 500ms)`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
  return parts.reduce((ms, p) => ms + Number(p[1]) * unit[p[2] as keyof typeof unit], 0);
}

/** Virtual user ids are unique across the test; each VU counts its own iterations. */
export class VuPool {
  #next = 1;
  readonly iterations = new Map<number, number>();
  active = 0;
  allocated = 0;

  allocate(): number {
    this.allocated += 1;
    const id = this.#next;
    this.#next += 1;
    this.iterations.set(id, 0);
    return id;
  }
}

type Exec = (data: unknown) => unknown;

type Run = {
  name: string;
  scenario: Scenario;
  exec: Exec;
  data: unknown;
  vus: VuPool;
  iterationInTest: { n: number };
  onError(error: unknown): void;
};

async function iterate(run: Run, vu: number): Promise<void> {
  const iter = run.vus.iterations.get(vu) ?? 0;
  run.vus.iterations.set(vu, iter + 1);
  const tags = { scenario: run.name, ...run.scenario.tags };
  const iterationInTest = run.iterationInTest.n;
  run.iterationInTest.n += 1;
  const started = performance.now();
  run.vus.active += 1;
  try {
    await runIteration(
      { vu, iter, iterationInTest, scenario: run.name, tags: run.scenario.tags ?? {} },
      async () => run.exec(run.data),
    );
    metrics.add('iterations', 1, tags);
  } catch (error) {
    run.onError(error);
  } finally {
    run.vus.active -= 1;
    metrics.add('iteration_duration', performance.now() - started, tags);
  }
}

/** Iterations that should have started by `ms` into the scenario (open models). */
function startsBy(scenario: Scenario): { by(ms: number): number; totalMs: number } {
  const unitMs = parseDuration(scenario.timeUnit, 1_000);
  if (scenario.executor === 'constant-arrival-rate') {
    const rate = scenario.rate ?? 1;
    const totalMs = parseDuration(scenario.duration);
    // k6 starts the first iteration at once, then one every timeUnit / rate.
    return { by: (ms) => Math.floor((Math.min(ms, totalMs) * rate) / unitMs) + 1, totalMs };
  }
  const stages = scenario.stages ?? [];
  const totalMs = stages.reduce((t, s) => t + parseDuration(s.duration), 0);
  return {
    totalMs,
    by: (ms) => {
      // The area under the rate's piecewise-linear ramp, in iterations.
      let area = 0;
      let from = scenario.startRate ?? 0;
      let t = 0;
      for (const stage of stages) {
        const length = parseDuration(stage.duration);
        const within = Math.max(0, Math.min(ms - t, length));
        if (within > 0) {
          const to = length > 0 ? from + ((stage.target - from) * within) / length : stage.target;
          area += ((from + to) / 2) * (within / unitMs);
        }
        from = stage.target;
        t += length;
      }
      return Math.floor(area + ((scenario.startRate ?? 0) > 0 ? 1 : 0));
    },
  };
}

async function arrivalRate(run: Run): Promise<Set<Promise<void>>> {
  const { scenario } = run;
  const plan = startsBy(scenario);
  const maxVUs = scenario.maxVUs ?? scenario.preAllocatedVUs ?? 1;
  const free: number[] = [];
  for (let i = 0; i < (scenario.preAllocatedVUs ?? 1); i += 1) free.push(run.vus.allocate());
  let allocated = free.length;
  const running = new Set<Promise<void>>();
  const t0 = performance.now();
  let started = 0;
  for (let ms = 0; ms < plan.totalMs; ms = performance.now() - t0) {
    for (const due = plan.by(ms); started < due; started += 1) {
      let vu = free.pop();
      if (vu === undefined && allocated < maxVUs) {
        vu = run.vus.allocate();
        allocated += 1;
      }
      if (vu === undefined) {
        metrics.add('dropped_iterations', 1, { scenario: run.name });
        continue;
      }
      const id = vu;
      const p: Promise<void> = iterate(run, id).finally(() => {
        running.delete(p);
        free.push(id);
      });
      running.add(p);
    }
    await wait(2);
  }
  return running;
}

async function constantVus(run: Run): Promise<Set<Promise<void>>> {
  const end = performance.now() + parseDuration(run.scenario.duration);
  const running = new Set<Promise<void>>();
  for (let i = 0; i < (run.scenario.vus ?? 1); i += 1) {
    const vu = run.vus.allocate();
    const loop = async () => {
      while (performance.now() < end) await iterate(run, vu);
    };
    running.add(loop());
  }
  await wait(Math.max(0, end - performance.now()));
  return running;
}

/** Runs one scenario from its start time to its end, then gives it gracefulStop to finish. */
export async function runScenario(
  name: string,
  scenario: Scenario,
  exec: Exec,
  shared: { data: unknown; vus: VuPool; iterationInTest: { n: number }; onError(e: unknown): void },
): Promise<ScenarioResult> {
  await wait(parseDuration(scenario.startTime));
  const run: Run = { name, scenario, exec, ...shared };
  const running =
    scenario.executor === 'constant-vus' ? await constantVus(run) : await arrivalRate(run);
  const cancel = new AbortController();
  const settled = Promise.allSettled([...running]).then(() => 'done' as const);
  const grace = wait(parseDuration(scenario.gracefulStop, 30_000), 'late' as const, {
    signal: cancel.signal,
  }).catch(() => 'done' as const);
  const outcome = await Promise.race([settled, grace]);
  cancel.abort();
  const completed = (metrics.metrics.get('iterations')?.samples ?? []).filter(
    (s) => s.tags.scenario === name,
  ).length;
  return { name, completed, interrupted: outcome === 'late' ? running.size : 0 };
}
