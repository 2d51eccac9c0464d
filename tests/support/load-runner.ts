import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { TestHub } from './hub.ts';

const runnerPath = fileURLToPath(new URL('../../load/runner/main.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

export type LoadRun = { code: number | null; output: string };

/**
 * `npm run load -- <script>` as a user runs it, against a hub process serving the test hub's
 * database: the runner's own setup (in `setupFile`), a short scaled-down run, k6's summary
 * and the audit. Thresholds are reported but never fail a smoke run (no timing assertion).
 */
export async function runLoadScript(
  hub: TestHub,
  hubUrl: string,
  script: string,
  options: { setupFile: string; env?: Record<string, string> },
): Promise<LoadRun> {
  const env = { SCALE: '0.05', DURATION: '2s', HUB_URL: hubUrl, ...options.env };
  const child = spawn(
    process.execPath,
    [
      runnerPath,
      script,
      '--no-thresholds',
      '--setup-file',
      options.setupFile,
      ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    ],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: hub.config.databaseUrl,
        REDIS_URL: hub.config.redisUrl,
        LOAD_MEMBERS: '8',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr.on('data', (chunk) => {
    output += String(chunk);
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}

/** The audit's count of acknowledged items on one line of its report ("accruals 12 ..."). */
export function acknowledged(output: string, what: string): number {
  const match = new RegExp(`${what}\\s+(\\d+) acknowledged`).exec(output);
  return Number(match?.[1] ?? -1);
}
