import { AppError, redisKey, type Services } from '../platform/index.ts';

/** Requests per minute a partner may make unless its own limit says otherwise. */
export const defaultRateLimitPerMinute = 6_000;
const windowMs = 60_000;

/**
 * Counts one request against the partner's fixed one-minute window (Redis INCR); refuses with
 * 429 and Retry-After once the window's count is over the limit. Rate limiting protects the
 * hub, not money, so when Redis cannot answer the request goes on.
 */
export async function takeRateLimit(
  services: Services,
  partnerId: string,
  limitPerMinute: number | null,
): Promise<void> {
  const limit = limitPerMinute ?? defaultRateLimitPerMinute;
  const nowMs = services.clock.now().getTime();
  const window = Math.floor(nowMs / windowMs);
  const key = redisKey(services.config, 'rate', partnerId, String(window));
  let count: number;
  try {
    const results = await services.redis
      .multi()
      .incr(key)
      .pexpire(key, windowMs * 2)
      .exec();
    count = Number(results?.[0]?.[1] ?? 0);
  } catch (error) {
    services.logger.warn({ err: error, partnerId }, 'rate limit not checked: redis unavailable');
    return;
  }
  if (count > limit) {
    const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * windowMs - nowMs) / 1000));
    throw new AppError('rate_limited', `At most ${limit} requests per minute.`, {
      retryAfterSeconds,
    });
  }
}
