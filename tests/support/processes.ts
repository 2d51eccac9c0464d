import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

/** A child process the test started: its output so far, and a way to wait for a line of it. */
export type Child = {
  process: ChildProcess;
  output(): string;
  /** Resolves when stdout or stderr has printed a line matching `pattern`; rejects if it exits. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Kills it with `signal` (if still running) and resolves once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
};

const running = new Set<Child>();
// A test run that ends abruptly (a crashed worker, a timeout) leaves no child behind either.
process.once('exit', () => {
  for (const child of running) child.process.kill('SIGKILL');
});

export function startChild(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd?: string,
): Child {
  const process_ = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const onData = (chunk: Buffer) => {
    output += String(chunk);
  };
  process_.stdout?.on('data', onData);
  process_.stderr?.on('data', onData);
  const exited = once(process_, 'exit').then(() => undefined);
  const child: Child = {
    process: process_,
    output: () => output,
    line: (pattern, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => fail(`no line ${pattern} within ${timeoutMs} ms`),
          timeoutMs,
        );
        const check = () => {
          const found = output.split('\n').find((l) => pattern.test(l));
          if (found === undefined) return;
          clearTimeout(timer);
          resolve(found);
        };
        const fail = (why: string) => {
          clearTimeout(timer);
          reject(new Error(`${command}: ${why}; it printed: ${output}`));
        };
        process_.stdout?.on('data', check);
        process_.stderr?.on('data', check);
        exited.then(() => fail(`exited (${process_.exitCode ?? process_.signalCode})`));
        check();
      }),
    stop: async (signal = 'SIGTERM') => {
      running.delete(child);
      if (process_.exitCode === null && process_.signalCode === null) process_.kill(signal);
      await exited;
    },
  };
  running.add(child);
  return child;
}

/** Stops every child still running: for afterAll/afterEach, so that a failed test leaves none. */
export async function stopChildren(): Promise<void> {
  await Promise.all([...running].map((c) => c.stop('SIGKILL')));
}
