import type { Redis } from 'ioredis';
import {
  AppError,
  gcraArgs,
  gcraTakeLua,
  type LimitPolicy,
  limitKey,
  limitPolicy,
  rateLimited,
  redisKey,
  type Services,
} from '../platform/index.ts';

/**
 * Requests per minute a partner may make unless its own limit says otherwise. It protects the
 * hub from one partner's runaway tills, not money; at this default one partner's tills may send
 * 5,000 signed requests a second, about what this hub serves on 2 cores (BENCHMARKS.md). The
 * operator sets a partner's own limit with PATCH /v1/admin/partners/{partnerId}
 * (rateLimitPerMinute).
 */
export const defaultRateLimitPerMinute = 300_000;

const policies = new Map<number, LimitPolicy>();

/**
 * A partner's requests, on the hub's one limiter; load protection, so it fails open (the nonce
 * beside it fails closed: without Redis a replay could not be told apart). One policy per
 * distinct limit, made once: every signed request asks for it.
 */
function partnerRequests(limitPerMinute: number): LimitPolicy {
  let policy = policies.get(limitPerMinute);
  if (policy === undefined) {
    policy = limitPolicy({
      name: 'partner-requests',
      limit: limitPerMinute,
      windowMs: 60_000,
      whenUnavailable: 'open',
    });
    policies.set(limitPerMinute, policy);
  }
  return policy;
}

/**
 * The nonce and the rate limit in ONE Redis round trip: the nonce is remembered (a replay is
 * refused), then one request is taken from the partner's bucket on the hub's limiter (GCRA, as
 * every throttle); over the limit, the nonce is given back so that the same signed request may
 * be sent again after Retry-After. Both keys carry the partner id as a hash tag: one Redis
 * Cluster slot.
 */
const admitScript = `${gcraTakeLua}
if not redis.call('SET', KEYS[1], '1', 'EX', ARGV[1], 'NX') then return -1 end
local wait = gcra_take(KEYS[2], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), 1, true)
if wait > 0 then redis.call('DEL', KEYS[1]) end
return wait`;

type AdmitRedis = Redis & {
  hubAdmitPartnerRequest(nonceKey: string, limitKey: string, ...args: string[]): Promise<number>;
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
  const policy = partnerRequests(partner.rateLimitPerMinute ?? defaultRateLimitPerMinute);
  const tag = `{${partner.id}}`;
  let wait: number;
  try {
    wait = await withAdmitCommand(services.redis).hubAdmitPartnerRequest(
      redisKey(services.config, 'partner', tag, 'nonce', nonce.value),
      limitKey(services, { policy, subject: tag }),
      String(nonce.ttlSeconds),
      ...gcraArgs(policy, services.clock.now()),
    );
  } catch {
    throw new AppError('unavailable', 'The hub cannot check request nonces right now.');
  }
  if (wait === -1)
    throw new AppError(
      'signature_invalid',
      'This nonce was already used: the request is a replay.',
    );
  if (wait > 0) throw rateLimited(`At most ${policy.limit} requests per minute.`, wait);
}
