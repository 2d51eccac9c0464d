/**
 * npm run load -- load/<script>.js [-e NAME=value]... [--summary-export file.json]
 *
 * Runs a k6 script unchanged on Node: `k6`, `k6/http`, `k6/metrics`, `k6/execution` and
 * `k6/crypto` resolve to this folder's stand-ins (the subset the scripts use), scenarios run on
 * the k6 executors they name, and the end prints k6's summary. Then the audit: what the
 * partner's tills were told against the ledger. Exit codes: 0; 99 a threshold was crossed
 * (as k6); 98 the audit found money lost or applied twice; 107 the script failed (as k6).
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { registerHooks } from 'node:module';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openDomains } from '../../domains.ts';
import { listPartnerKeys } from '../../partners/index.ts';
import { createLogger, loadConfig, openServices, type Services } from '../../platform/index.ts';
import { type LoadSetup, prepareLoad } from '../../scripts/load-setup.ts';
import { audit } from './audit.ts';
import { runScenario, type Scenario, type ScenarioResult, VuPool } from './executors.ts';
import type { ThresholdSpec } from './metrics.ts';
import {
  checkTally,
  currentIteration,
  hardStop,
  httpAgent,
  journal,
  metrics,
} from './run-state.ts';
import { defaultTrendStats, failedThresholds, summaryData, textSummary } from './summary.ts';

const exitThresholds = 99;
const exitAudit = 98;
const exitScript = 107;

type Options = {
  scenarios?: Record<string, Scenario>;
  thresholds?: Record<string, ThresholdSpec | ThresholdSpec[]>;
  summaryTrendStats?: string[];
};

type ScriptModule = Record<string, unknown> & { options?: Options };

/** Maps k6's module names to the stand-ins beside this file. */
function installK6Modules(): void {
  const modules = ['k6', 'k6/http', 'k6/metrics', 'k6/execution', 'k6/crypto'];
  const urls = new Map(
    modules.map((m) => [
      m,
      new URL(`./k6/${m === 'k6' ? 'index' : m.slice(3)}.ts`, import.meta.url).href,
    ]),
  );
  registerHooks({
    resolve: (specifier, context, nextResolve) => {
      const url = urls.get(specifier);
      return url ? { url, shortCircuit: true } : nextResolve(specifier, context);
    },
  });
}

/** k6's globals: __ENV (with the scenario's env), __VU, __ITER, and open() of the script's folder. */
function installGlobals(
  env: Record<string, string>,
  scenarioEnv: Map<string, Record<string, string>>,
  scriptDir: string,
) {
  const g = globalThis as Record<string, unknown>;
  Object.defineProperty(g, '__ENV', {
    get: () => {
      const it = currentIteration();
      const own = it ? scenarioEnv.get(it.scenario) : undefined;
      return own ? { ...env, ...own } : env;
    },
  });
  Object.defineProperty(g, '__VU', { get: () => currentIteration()?.vu ?? 0 });
  Object.defineProperty(g, '__ITER', { get: () => currentIteration()?.iter ?? 0 });
  g.open = (path: string, mode?: string) => {
    const content = readFileSync(resolve(scriptDir, path));
    return mode === 'b' ? content.buffer : content.toString('utf8');
  };
}

/** A setup file of the last five minutes (its sessions last fifteen) whose key this hub knows. */
async function usableSetup(services: Services, path: string): Promise<LoadSetup | undefined> {
  try {
    if (Date.now() - statSync(path).mtimeMs >= 5 * 60_000) return undefined;
    const setup = JSON.parse(readFileSync(path, 'utf8')) as LoadSetup;
    // A file made for another database (a test's, or before a reset) is made again.
    const keys = await listPartnerKeys(services.db, setup.partner.id);
    return keys.some((k) => k.kid === setup.partner.kid && k.revoked_at === null)
      ? setup
      : undefined;
  } catch {
    return undefined;
  }
}

/** The load-test partner, key and members (scripts/load-setup.ts), made anew unless usable. */
async function ensureSetup(services: Services, path: string, members: number): Promise<LoadSetup> {
  const usable = await usableSetup(services, path);
  if (usable) return usable;
  const domains = await openDomains(services);
  try {
    const setup = await prepareLoad(services, domains, members);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, JSON.stringify(setup));
    return setup;
  } finally {
    await domains.ledger.close();
  }
}

function scenarioLines(results: ScenarioResult[], durationMs: number): string[] {
  const completed = results.reduce((a, r) => a + r.completed, 0);
  const interrupted = results.reduce((a, r) => a + r.interrupted, 0);
  const s = (durationMs / 1000).toFixed(1);
  return [
    `running (${s}s), ${completed} complete and ${interrupted} interrupted iterations`,
    ...results.map(
      (r) =>
        `${r.name} ${r.interrupted === 0 ? '✓' : '✗'} ${r.completed} iterations, ${(r.completed / (durationMs / 1000)).toFixed(2)} iters/s`,
    ),
  ];
}

function errorReporter(): { onError(e: unknown): void; count(): number } {
  let count = 0;
  return {
    onError: (error) => {
      count += 1;
      if (count <= 10) {
        const it = currentIteration();
        const where = it ? ` (scenario ${it.scenario}, VU ${it.vu})` : '';
        process.stderr.write(
          `ERRO iteration failed${where}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
        );
      }
      if (count === 10) process.stderr.write('ERRO (further iteration errors are counted only)\n');
    },
    count: () => count,
  };
}

async function runScript(script: ScriptModule, options: Options) {
  const scenarios = options.scenarios ?? {
    default: { executor: 'constant-vus', vus: 1, duration: '10s' } as Scenario,
  };
  const setupFn = script.setup;
  const data =
    typeof setupFn === 'function'
      ? (JSON.parse(JSON.stringify((await setupFn()) ?? null)) as unknown)
      : undefined;
  const vus = new VuPool();
  const errors = errorReporter();
  const shared = { data, vus, iterationInTest: { n: 0 }, onError: errors.onError };
  const sampler = setInterval(() => {
    metrics.add('vus', vus.active, {});
    metrics.add('vus_max', vus.allocated, {});
  }, 1000);
  const started = performance.now();
  const results = await Promise.all(
    Object.entries(scenarios).map(([name, scenario]) => {
      const exec = script[scenario.exec ?? 'default'];
      if (typeof exec !== 'function')
        throw new Error(`scenario ${name}: the script exports no function ${scenario.exec}`);
      return runScenario(name, scenario, exec as (d: unknown) => unknown, shared);
    }),
  );
  const durationMs = performance.now() - started;
  clearInterval(sampler);
  metrics.add('vus', vus.active, {});
  metrics.add('vus_max', vus.allocated, {});
  hardStop.abort();
  if (typeof script.teardown === 'function') await script.teardown(data);
  return { results, durationMs };
}

function thresholdsOf(options: Options): Record<string, ThresholdSpec[]> {
  return Object.fromEntries(
    Object.entries(options.thresholds ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]),
  );
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      env: { type: 'string', short: 'e', multiple: true },
      'summary-export': { type: 'string' },
      'setup-file': { type: 'string', default: '.data/load-setup.json' },
      /** As k6's flag: thresholds are reported but do not fail the run (smoke runs). */
      'no-thresholds': { type: 'boolean', default: false },
    },
  });
  const scriptPath = positionals[0];
  if (!scriptPath) throw new Error('usage: npm run load -- load/<script>.js [-e NAME=value]');
  const cliEnv = Object.fromEntries(
    (values.env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  const services = await openServices(loadConfig(), { logger: createLogger('warn') });
  try {
    const setupFile = resolve(values['setup-file']);
    const setup = await ensureSetup(services, setupFile, Number(process.env.LOAD_MEMBERS ?? 200));
    // A second's margin: the hub's clock and the database's are the same machine's.
    const since = new Date(Date.now() - 1_000);
    const env = {
      ...(process.env as Record<string, string>),
      LOAD_SETUP: setupFile,
      ...cliEnv,
    };
    const scenarioEnv = new Map<string, Record<string, string>>();
    installK6Modules();
    installGlobals(env, scenarioEnv, dirname(resolve(scriptPath)));
    let script: ScriptModule;
    try {
      script = (await import(resolve(scriptPath))) as ScriptModule;
    } catch (error) {
      process.stderr.write(`ERRO the script could not be loaded: ${String(error)}\n`);
      return exitScript;
    }
    const options = script.options ?? {};
    for (const [name, s] of Object.entries(options.scenarios ?? {}))
      if (s.env) scenarioEnv.set(name, s.env);
    process.stdout.write(`\n  execution: local (npm run load)\n     script: ${scriptPath}\n`);
    const { results, durationMs } = await runScript(script, options);
    const data = summaryData(
      metrics,
      checkTally,
      thresholdsOf(options),
      options.summaryTrendStats ?? defaultTrendStats,
      durationMs,
    );
    process.stdout.write(textSummary(data, scenarioLines(results, durationMs)));
    if (values['summary-export'])
      writeFileSync(values['summary-export'], JSON.stringify(data, null, 2));
    const report = await audit(services.db, setup.partner.id, since, journal);
    process.stdout.write(`\n  █ AUDIT (${report.ok ? 'passed' : 'FAILED'})\n\n`);
    for (const line of report.lines) process.stdout.write(`    ${line}\n`);
    for (const problem of report.problems.slice(0, 50)) process.stdout.write(`    ✗ ${problem}\n`);
    const crossed = values['no-thresholds'] ? [] : failedThresholds(data);
    for (const t of crossed) process.stderr.write(`ERRO threshold crossed: ${t}\n`);
    if (!report.ok) return exitAudit;
    return crossed.length > 0 ? exitThresholds : 0;
  } finally {
    httpAgent.destroy();
    await services.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`load: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
