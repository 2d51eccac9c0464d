import type { Db } from './db.ts';

export type DatabaseCache<V> = {
  /** The value for `key`, loaded from `db` when missing or older than the cache's ttl. */
  get(db: Db, key: string): Promise<V>;
  /** Forgets `key` (every key when none is given): the next get loads it again. */
  invalidate(db: Db, key?: string): void;
};

type Entry<V> = { value: Promise<V>; loadedAtMs: number; generation: number };

/**
 * Caches by name, so that a change announced by another process (cache-bus.ts) drops every
 * entry of the caches it names, whatever database handle they were loaded through.
 */
const forgetters = new Map<string, Array<() => void>>();

/** Drops every entry of the named caches in this process (what a change announcement does). */
export function forgetCaches(names: readonly string[]): void {
  for (const name of names) for (const forget of forgetters.get(name) ?? []) forget();
}

/**
 * Rows that rarely change, kept in this process's memory: one cache per database handle (each
 * test's hub has its own), each entry kept at most `ttlMs`. A change made through this process
 * invalidates at once; `ttlMs` bounds how long a change made by another process goes unseen.
 * Concurrent gets of a missing key share one load; a load that fails is not kept. A get that
 * starts after an invalidation never receives a load that started before it.
 *
 * Hand-written rather than lru-cache: its fetch() rejects the callers of a load that a delete
 * aborts, or (told to ignore aborts) stores the value read before the change.
 */
export function databaseCache<V>(options: {
  /** Names the cache for announcements of changes between processes (cache-bus.ts). */
  name?: string;
  ttlMs: number;
  /** Most entries kept; beyond it the oldest is dropped. */
  max: number;
  load: (db: Db, key: string) => Promise<V>;
  /** Milliseconds now; tests move it by hand. */
  nowMs?: () => number;
}): DatabaseCache<V> {
  const nowMs = options.nowMs ?? Date.now;
  const caches = new WeakMap<Db, Map<string, Entry<V>>>();
  // Bumped to drop every entry at once (a WeakMap cannot be walked).
  let generation = 0;
  if (options.name !== undefined) {
    const list = forgetters.get(options.name) ?? [];
    list.push(() => {
      generation += 1;
    });
    forgetters.set(options.name, list);
  }
  const cacheFor = (db: Db) => {
    let cache = caches.get(db);
    if (cache === undefined) {
      cache = new Map();
      caches.set(db, cache);
    }
    return cache;
  };
  return {
    get: (db, key) => {
      const cache = cacheFor(db);
      const now = nowMs();
      const found = cache.get(key);
      if (
        found !== undefined &&
        found.generation === generation &&
        now - found.loadedAtMs < options.ttlMs
      )
        return found.value;
      const entry: Entry<V> = { value: options.load(db, key), loadedAtMs: now, generation };
      cache.delete(key);
      cache.set(key, entry);
      if (cache.size > options.max) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      entry.value.catch(() => {
        if (cache.get(key) === entry) cache.delete(key);
      });
      return entry.value;
    },
    invalidate: (db, key) => {
      if (key === undefined) cacheFor(db).clear();
      else cacheFor(db).delete(key);
    },
  };
}
