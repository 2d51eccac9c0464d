/**
 * k6's main module, for scripts run by the local runner: check, fail, group. k6's `sleep`
 * blocks a VU's own runtime; here virtual users share one event loop, so it is not offered.
 */
import { checkTally, iterationTags, metrics } from '../run-state.ts';

type Checkers<T> = Record<string, (value: T) => unknown>;

export function check<T>(value: T, sets: Checkers<T>, tags: Record<string, string> = {}): boolean {
  let all = true;
  for (const [name, checker] of Object.entries(sets)) {
    let ok: boolean;
    try {
      ok = Boolean(checker(value));
    } catch {
      ok = false;
    }
    all &&= ok;
    const tally = checkTally.get(name) ?? { passes: 0, fails: 0 };
    if (ok) tally.passes += 1;
    else tally.fails += 1;
    checkTally.set(name, tally);
    metrics.add('checks', ok ? 1 : 0, { ...iterationTags(), ...tags, check: name });
  }
  return all;
}

export function fail(message = ''): never {
  throw new Error(message);
}

export function group<T>(_name: string, fn: () => T): T {
  return fn();
}

export function sleep(): never {
  throw new Error('sleep() is not offered by the local runner: virtual users share one thread');
}

export default { check, fail, group, sleep };
