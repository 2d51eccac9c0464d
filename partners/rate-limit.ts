import type { Redis } from 'ioredis';
import { AppError, redisKey, type Services } from '../platform/index.ts';

/**
 * Requests per minute a partner may make unless its own limit says otherwise. It protects the
 * hub from one partner's runaway till, not money; at this default one partner's tills may send
 * 5,000 signed requests a second, what this hub serves on 2 cores (BENCHMARKS.md). The
 * operator sets a partner's own limit with PATCH /v1/admin/partners/{partnerId}
 * (rateLimitPerMinute).
 */
export const defaultRateLimitPerMinute = 300_000;
const windowMs = 60_000;

/**
 * The nonce and the rate limit in ONE Redis round trip: the nonce is remembered (a replay is
 * refused), then the request is counted in the partner's fixed one-minute window; over the
 * limit, the nonce is given back so that the same signed request may be sent again after
 * Retry-After. Both keys carry the partner id as a hash tag: one Redis Cluster slot.
 */
const admitScript = `
if not redis.call('SET', KEYS[1], '1', 'EX', ARGV[1], 'NX') then return -1 end
local count = redis.call('INCR', KEYS[2])
if count == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
if count > tonumber(ARGV[3]) then
  redis.call('DEL', KEYS[1])
  return -2
end
return count`;

type AdmitRedis = Redis & {
  hubAdmitPartnerRequest(
    nonceKey: string,
    rateKey: string,
    nonceTtlSeconds: number,
    windowMs: number,
    limit: number,
  ): Promise<number>;
};

function withAdmitCommand(redis: Redis): AdmitRedis {
  if (!('hubAdmitPartnerRequest' in redis))
    redis.defineCommand('hubAdmitPartnerRequest', { numberOfKeys: 2, lua: admitScript });
  return redis as AdmitRedis;
}

/**
 * Lets a verified partner request in: its nonce new, its partner within its limit. A replay is
 * refused (401 signature_invalid), a request over the limit answered 429 with Retry-After.
 * Without Redis a replay could not be told apart, so the request is refused (503).
 */
export async function admitPartnerRequest(
  services: Services,
  partner: { id: string; rateLimitPerMinute: number | null },
  nonce: { value: string; ttlSeconds: number },
): Promise<void> {
  const limit = partner.rateLimitPerMinute ?? defaultRateLimitPerMinute;
  const nowMs = services.clock.now().getTime();
  const window = Math.floor(nowMs / windowMs);
  const tag = `{${partner.id}}`;
  let admitted: number;
  try {
    admitted = await withAdmitCommand(services.redis).hubAdmitPartnerRequest(
      redisKey(services.config, 'partner', tag, 'nonce', nonce.value),
      redisKey(services.config, 'partner', tag, 'rate', String(window)),
      nonce.ttlSeconds,
      windowMs * 2,
      limit,
    );
  } catch {
    throw new AppError('unavailable', 'The hub cannot check request nonces right now.');
  }
  if (admitted === -1)
    throw new AppError(
      'signature_invalid',
      'This nonce was already used: the request is a replay.',
    );
  if (admitted === -2) {
    const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * windowMs - nowMs) / 1000));
    throw new AppError('rate_limited', `At most ${limit} requests per minute.`, {
      retryAfterSeconds,
    });
  }
}
