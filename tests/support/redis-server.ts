import { createServer } from 'node:net';
import { type Child, startChild } from './processes.ts';

/**
 * A Redis of the test's own, on a free loopback port, that the test can stop and start again
 * (empty: no persistence) without touching the Redis every other test shares. Started with the
 * settings the README asks of a hub's Redis (noeviction).
 */
export type TestRedis = {
  url: string;
  running(): boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: Redis hung, its connections open but unanswered. */
  pause(): void;
  resume(): void;
};

/** A port nothing listens on now, on loopback. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export async function startTestRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child: Child | undefined;
  const start = async () => {
    child = startChild(
      'redis-server',
      [
        ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        ...['--maxmemory-policy', 'noeviction'],
      ],
      {},
    );
    await child.line(/Ready to accept connections/);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    running: () => child !== undefined,
    start,
    pause: () => child?.process.kill('SIGSTOP'),
    resume: () => child?.process.kill('SIGCONT'),
    // SIGKILL: Redis gone at once, as a crash or a network cut would look to the hub.
    stop: async () => {
      await child?.stop('SIGKILL');
      child = undefined;
    },
  };
}
