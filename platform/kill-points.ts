import type { Config } from './config.ts';

/**
 * Crash tests kill the process at a named boundary inside a use case (before its commit, after
 * it) to prove that whatever was acknowledged is wholly there and the rest wholly absent. The
 * point is armed only by HUB_KILL_POINT with NODE_ENV=test; everywhere else this does nothing.
 */
export function killPoint(config: Pick<Config, 'killPoint'>, name: string): void {
  if (config.killPoint === name) process.kill(process.pid, 'SIGKILL');
}
