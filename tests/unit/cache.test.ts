import { describe, expect, it } from 'vitest';
import { type Db, databaseCache } from '../../platform/index.ts';

/** Stand-ins for two database handles: the cache only uses them as keys. */
const dbA = {} as Db;
const dbB = {} as Db;

function counted(values: Array<number | Error>) {
  let now = 0;
  const loads: string[] = [];
  const releases: Array<() => void> = [];
  let next = 0;
  const cache = databaseCache<number>({
    ttlMs: 1000,
    max: 2,
    nowMs: () => now,
    load: (_db, key) => {
      loads.push(key);
      const value = values[next++];
      // Each load waits until the test releases it, so that gets can overlap it.
      return new Promise((resolve, reject) => {
        releases.push(() => (value instanceof Error ? reject(value) : resolve(value ?? -1)));
      });
    },
  });
  const releaseAll = () => {
    for (const release of releases.splice(0)) release();
  };
  return { cache, loads, releaseAll, advance: (ms: number) => (now += ms) };
}

describe('databaseCache', () => {
  it('loads a key once for concurrent gets, and again once its time is up', async () => {
    const { cache, loads, releaseAll, advance } = counted([1, 2]);
    const both = Promise.all([cache.get(dbA, 'k'), cache.get(dbA, 'k')]);
    releaseAll();
    expect(await both).toEqual([1, 1]);
    advance(999);
    expect(await cache.get(dbA, 'k')).toBe(1);
    advance(1);
    const later = cache.get(dbA, 'k');
    releaseAll();
    expect(await later).toBe(2);
    expect(loads).toEqual(['k', 'k']);
  });

  it('keeps no failed load', async () => {
    const { cache, releaseAll } = counted([new Error('down'), 5]);
    const failed = cache.get(dbA, 'k');
    releaseAll();
    await expect(failed).rejects.toThrow('down');
    const retried = cache.get(dbA, 'k');
    releaseAll();
    expect(await retried).toBe(5);
  });

  it('never hands a get made after an invalidation the load that was running before it', async () => {
    const { cache, releaseAll } = counted([1, 2]);
    const before = cache.get(dbA, 'k');
    cache.invalidate(dbA, 'k');
    const after = cache.get(dbA, 'k');
    releaseAll();
    expect([await before, await after]).toEqual([1, 2]);
    expect(await cache.get(dbA, 'k')).toBe(2);
  });

  it('keeps one cache per database handle, and at most max keys', async () => {
    const { cache, loads, releaseAll } = counted([1, 2, 3, 4, 5]);
    const first = Promise.all([cache.get(dbA, 'k'), cache.get(dbB, 'k')]);
    releaseAll();
    expect(await first).toEqual([1, 2]);
    const more = Promise.all([cache.get(dbA, 'x'), cache.get(dbA, 'y')]);
    releaseAll();
    expect(await more).toEqual([3, 4]);
    // dbA held k, x, y: k, the oldest, was dropped.
    const again = cache.get(dbA, 'k');
    releaseAll();
    expect(await again).toBe(5);
    expect(loads).toEqual(['k', 'k', 'x', 'y', 'k']);
  });
});
