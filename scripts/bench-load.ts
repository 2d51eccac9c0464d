/**
 * npm run bench:load -- [--script load/mixed-day.js] [--processes 1,2,4] [--rounds 2] [-e K=V]...
 *
 * A load script against `serve` with 1, 2 and 4 processes (HUB_PROCESSES), one after another
 * and again for each round, so that the figures of a shared machine are compared within one
 * run. For each: what the runner achieved (iterations and requests a second, p50 and p99,
 * dropped iterations), the audit's verdict, and CPU per request of the hub's processes (their
 * process_cpu_seconds_total from /metrics, summed by the primary) and of this checkout's
 * PostgreSQL (its processes' CPU time from /proc). Prints a Markdown table.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    script: { type: 'string', default: 'load/mixed-day.js' },
    processes: { type: 'string', default: '1,2,4' },
    rounds: { type: 'string', default: '1' },
    env: { type: 'string', short: 'e', multiple: true, default: [] },
  },
});

const ticksPerSecond = 100;

/** CPU seconds of this checkout's PostgreSQL: the postmaster and every backend it forked. */
function postgresCpuSeconds(): number {
  const pidFile = readFileSync('.data/pg/postmaster.pid', 'utf8');
  const postmaster = Number(pidFile.split('\n')[0]);
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      if (Number(entry) !== postmaster && ppid !== postmaster) continue;
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process ended while being read
    }
  }
  return ticks / ticksPerSecond;
}

async function hubCpuSeconds(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('process_cpu_seconds_total '));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

async function startHub(processes: number): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['main.ts', 'serve'], {
    env: { ...process.env, HUB_PROCESSES: String(processes), PORT: '0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let seen = '';
  for await (const chunk of child.stdout ?? []) {
    seen += String(chunk);
    const line = seen.split('\n').find((l) => l.includes('"msg":"hub started"'));
    if (line) {
      child.stdout?.resume();
      return { url: (JSON.parse(line) as { url: string }).url, child };
    }
  }
  throw new Error(`the hub did not start: ${seen}`);
}

type Trend = Record<string, number>;
type Summary = { metrics: Record<string, { values: Trend }>; state: { testRunDurationMs: number } };

async function runLoad(url: string, setupFile: string, summaryFile: string) {
  const args = [
    'load/runner/main.ts',
    values.script,
    '--no-thresholds',
    '--setup-file',
    setupFile,
    '--summary-export',
    summaryFile,
    '-e',
    `HUB_URL=${url}`,
    ...values.env.flatMap((kv) => ['-e', kv]),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += String(chunk);
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as Summary;
  return { code, audit: /AUDIT \((\w+)\)/.exec(output)?.[1] ?? '?', summary };
}

const dir = await mkdtemp(join(tmpdir(), 'hub-bench-load-'));
const setupFile = join(dir, 'load-setup.json');
const rows: string[] = [];
try {
  for (let round = 1; round <= Number(values.rounds); round += 1) {
    for (const n of values.processes.split(',').map(Number)) {
      const hub = await startHub(n);
      try {
        const [hubBefore, pgBefore] = [await hubCpuSeconds(hub.url), postgresCpuSeconds()];
        const run = await runLoad(hub.url, setupFile, join(dir, 'summary.json'));
        const [hubAfter, pgAfter] = [await hubCpuSeconds(hub.url), postgresCpuSeconds()];
        const m = run.summary.metrics;
        const seconds = run.summary.state.testRunDurationMs / 1000;
        const requests = m.http_reqs?.values.count ?? 0;
        const duration = m.http_req_duration?.values ?? {};
        const perRequestMs = (cpu: number) => ((cpu * 1000) / Math.max(1, requests)).toFixed(2);
        rows.push(
          `| ${round} | ${n} | ${(requests / seconds).toFixed(0)} | ${((m.iterations?.values.count ?? 0) / seconds).toFixed(0)} | ${m.dropped_iterations?.values.count ?? 0} | ${(duration.med ?? 0).toFixed(1)} | ${(duration['p(99)'] ?? 0).toFixed(1)} | ${((m.http_req_failed?.values.rate ?? 0) * 100).toFixed(2)}% | ${perRequestMs(hubAfter - hubBefore)} | ${perRequestMs(pgAfter - pgBefore)} | ${run.audit} |`,
        );
        process.stderr.write(`${rows[rows.length - 1]}\n`);
      } finally {
        hub.child.kill('SIGTERM');
        await once(hub.child, 'exit');
      }
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
console.log(
  `${values.script} ${values.env.join(' ')}\n\n| round | processes | req/s | iterations/s | dropped | p50 ms | p99 ms | failed | hub CPU ms/req | PostgreSQL CPU ms/req | audit |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n${rows.join('\n')}`,
);
