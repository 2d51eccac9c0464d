import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { TestHub } from './hub.ts';

const mainPath = fileURLToPath(new URL('../../main.ts', import.meta.url));

export type Exit = { code: number | null; signal: string | null; stdout: string; stderr: string };

/** A hub process (`node main.ts <role>`) with exactly the environment given. */
export function spawnHub(
  env: Record<string, string>,
  role = 'serve',
): { child: ChildProcess; exit: Promise<Exit> } {
  const child = spawn(process.execPath, [mainPath, role], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '5000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exit = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as string | null,
    stdout,
    stderr,
  }));
  return { child, exit };
}

/** Reads the process's output until a line matches; fails if the process ends first. */
export async function waitForLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  let seen = '';
  for await (const chunk of child.stdout ?? []) {
    seen += String(chunk);
    const line = seen.split('\n').find((l) => pattern.test(l));
    if (line) return line;
  }
  throw new Error(`process ended before printing ${pattern}; it printed: ${seen}`);
}

export type HubProcess = { url: string; child: ChildProcess; exit: Promise<Exit> };

/**
 * A hub process serving the test hub's database and Redis keys on a free loopback port, with
 * `env` on top (a crash test's HUB_KILL_POINT, say); resolves once it listens.
 */
export async function startHubProcess(
  hub: TestHub,
  env: Record<string, string> = {},
  role = 'serve',
): Promise<HubProcess> {
  const { child, exit } = spawnHub(
    {
      NODE_ENV: 'test',
      DATABASE_URL: hub.config.databaseUrl,
      REDIS_URL: hub.config.redisUrl,
      REDIS_KEY_PREFIX: hub.config.redisKeyPrefix,
      PORT: '0',
      ...env,
    },
    role,
  );
  const line = await waitForLine(child, /"msg":"hub started"/);
  const { url } = JSON.parse(line) as { url: string };
  return { url, child, exit };
}
