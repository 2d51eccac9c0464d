import type { Config } from './config.ts';

/**
 * BullMQ key prefix. The hash tag keeps every queue of one hub in one Redis Cluster slot, as
 * BullMQ requires on a cluster.
 */
export function queuePrefix(config: Pick<Config, 'redisKeyPrefix'>): string {
  return `{${config.redisKeyPrefix}}`;
}

/** Keys of the hub's own short-lived state in Redis (rate limits, nonces, codes). */
export function redisKey(config: Pick<Config, 'redisKeyPrefix'>, ...parts: string[]): string {
  return [config.redisKeyPrefix, ...parts].join(':');
}
