import type { Redis } from 'ioredis';
import { forgetCaches } from './cache.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { redisKey } from './queues.ts';
import { openRedis } from './redis.ts';

/**
 * Changes to what processes cache (the tier ladder, the membership settings, the counter's
 * policy) are announced on a Redis channel, so that every hub process drops its copy at once
 * rather than when its cache's time runs out. An announcement lost (Redis away) only delays
 * the change to the caches' own lifetime (15 s): correctness never depends on it.
 */

function channel(config: Config): string {
  return redisKey(config, 'cache-changes');
}

export type CacheBus = {
  /** Drops the named caches here and asks every other process to drop theirs. */
  announce(names: readonly string[]): Promise<void>;
  close(): void;
};

export function openCacheBus(
  config: Config,
  redis: Redis,
  logger: Logger,
  onError: (error: Error) => void,
): CacheBus {
  // A subscribed connection can do nothing else: one of its own, resubscribed on reconnect.
  const listener = openRedis(config.redisUrl, 'queues', onError);
  listener.on('message', (_channel: string, message: string) => {
    try {
      const names = JSON.parse(message) as unknown;
      if (Array.isArray(names)) forgetCaches(names.filter((n) => typeof n === 'string'));
    } catch {
      logger.warn({ message }, 'cache-bus: an announcement that is not a list of names');
    }
  });
  listener.subscribe(channel(config)).catch((error: unknown) => {
    logger.warn({ err: error }, 'cache-bus: not subscribed; changes reach this process late');
  });
  return {
    announce: async (names) => {
      forgetCaches(names);
      await redis.publish(channel(config), JSON.stringify(names)).catch((error: unknown) => {
        logger.warn({ err: error, names }, 'cache-bus: a change was not announced');
      });
    },
    close: () => listener.disconnect(),
  };
}
