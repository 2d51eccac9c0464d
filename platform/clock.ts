/** Every use of "now" goes through a clock so that tests can move time without sleeping. */
export type Clock = { now(): Date };

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still until told to move; for tests of expiry, renewal and cut-offs. */
export type ManualClock = Clock & { set(at: Date): void; advanceMs(ms: number): void };

export function manualClock(start: Date): ManualClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    set: (at) => {
      current = at.getTime();
    },
    advanceMs: (ms) => {
      current += ms;
    },
  };
}
