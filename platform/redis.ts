import { Redis } from 'ioredis';

/**
 * Connections to Redis. Queue connections must not give up on a command (BullMQ's workers
 * block on Redis and expect maxRetriesPerRequest: null); request-path connections fail fast so
 * that a Redis outage turns into a clear error rather than a hung request.
 */
export function openRedis(
  url: string,
  purpose: 'commands' | 'queues',
  onError: (error: Error) => void = () => {},
): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: purpose === 'queues' ? null : 2,
    enableOfflineQueue: purpose === 'queues',
    connectTimeout: 5_000,
    connectionName: `alliance-hub:${purpose}`,
  });
  // Without a listener ioredis prints every reconnect failure as an unhandled error event.
  redis.on('error', onError);
  return redis;
}

/** Connects, and on failure rejects with the underlying cause (not "Connection is closed"). */
export async function connectRedis(redis: Redis): Promise<void> {
  let lastError: Error | undefined;
  const remember = (error: Error) => {
    lastError = error;
  };
  redis.on('error', remember);
  try {
    await redis.connect();
  } catch (error) {
    throw lastError ?? error;
  } finally {
    redis.off('error', remember);
  }
}
