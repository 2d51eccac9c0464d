import { Redis } from 'ioredis';

/** How long a request-path command may wait for Redis's answer. */
const commandTimeoutMs = 2_000;

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
    // A Redis that accepts connections but does not answer must not hold a request either.
    commandTimeout: purpose === 'commands' ? commandTimeoutMs : undefined,
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

/** What ioredis rejects a command with when Redis is not there to answer it. */
const unavailableMessages = [
  "Stream isn't writeable and enableOfflineQueue options is false", // not connected
  'Connection is closed.', // closed with the command in flight
  'Command timed out', // commandTimeout
];
/** Replies of a Redis that is up but cannot serve now. */
const unavailableReplies = /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN) /;
const socketCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND']);

/**
 * True when a Redis command failed because Redis could not be reached or cannot serve now:
 * the request may succeed later (503), it is not a bug (500). ioredis gives these errors no
 * codes, only messages; tests/integration/faults-redis.test.ts checks them against a Redis
 * that is stopped.
 */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  if (unavailableMessages.includes(error.message)) return true;
  if (error.name === 'ReplyError' && unavailableReplies.test(error.message)) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && socketCodes.has(code);
}
