import { connectRedis, redisKey, type Services } from '../platform/index.ts';
import { invalidatePartnerCache } from './keys.ts';
import { invalidateCounterRules } from './rule-store.ts';

/**
 * Tells every gateway process that a partner's keys, status or rules changed, so that a
 * revocation or suspension applies everywhere within milliseconds rather than when the cached copy
 * expires. Redis pub/sub is best effort: a process that misses the message still drops its
 * copy within keyCacheTtlMs, so that stays the guaranteed bound.
 */

function channel(deps: Pick<Services, 'config'>): string {
  return redisKey(deps.config, 'partner-changed');
}

/** Drops this process's copies of what a partner change may touch: keys, status and rules. */
function forgetPartner(services: Services, partnerId: string): void {
  invalidatePartnerCache(services.db, partnerId);
  invalidateCounterRules(services.db, partnerId);
}

/**
 * Tells the running gateways only, and throws when Redis cannot be told: for a process with
 * no cache of its own, such as the operator's CLI, which says so to the operator.
 */
export async function publishPartnerChange(
  deps: Pick<Services, 'config' | 'redis'>,
  partnerId: string,
): Promise<void> {
  await deps.redis.publish(channel(deps), partnerId);
}

export async function announcePartnerChange(services: Services, partnerId: string): Promise<void> {
  forgetPartner(services, partnerId);
  try {
    await publishPartnerChange(services, partnerId);
  } catch (error) {
    services.logger.warn({ err: error, partnerId }, 'partner change not announced; caches expire');
  }
}

export type PartnerChangeListener = { close(): Promise<void> };

/** Subscribes this process's key cache to the announcements (one extra Redis connection). */
export async function listenForPartnerChanges(
  services: Services,
  onChange: (partnerId: string) => void = () => {},
): Promise<PartnerChangeListener> {
  const subscriber = services.redis.duplicate({ connectionName: 'alliance-hub:partner-changes' });
  subscriber.on('error', (error) => {
    services.logger.warn({ err: error }, 'partner change listener: redis error');
  });
  subscriber.on('message', (_channel: string, partnerId: string) => {
    forgetPartner(services, partnerId);
    onChange(partnerId);
  });
  await connectRedis(subscriber);
  await subscriber.subscribe(channel(services));
  return {
    close: async () => {
      subscriber.disconnect();
    },
  };
}
