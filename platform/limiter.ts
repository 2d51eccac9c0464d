import type { Redis } from 'ioredis';
import { AppError } from './errors.ts';
import { redisKey } from './queues.ts';
import type { Services } from './services.ts';

/**
 * The one rate limiter of the hub: every throttle (pay codes, sign-in codes, failed
 * authentication) counts through it. (A partner's requests per minute, partners/rate-limit.ts,
 * still count in a fixed window of their own.)
 *
 * Algorithm: GCRA (the generic cell rate algorithm, a token bucket kept as one timestamp). A
 * policy "limit per windowMs" lets a subject spend up to `limit` units at once, then refills one
 * unit every windowMs / limit. Chosen over a fixed window because a fixed window lets a caller
 * spend twice the limit in a moment across a window's edge and tells it to wait out the rest of
 * the window; GCRA's largest burst is the limit, its Retry-After is the time until one unit is
 * free again, and it still keeps one small key per subject (the instant the bucket is full
 * again, expiring then). Over a long time both allow the same rate.
 *
 * Atomicity: one Lua script reads, decides and writes in one round trip (ioredis sends it by
 * EVALSHA, and the source once per connection), so concurrent takes never exceed a limit. One
 * call may check several limits (a contact and a client address): either all have room and all
 * are charged, or none is. On Redis Cluster the keys of one call would have to share a hash
 * slot; the hub's request-path Redis is a single server.
 *
 * Time is the hub's clock (tests move it by hand), in microseconds so that windowMs / limit is
 * an integer for every policy the hub uses.
 */

export type LimitPolicy = {
  /** Names the limit in its Redis key and in logs. */
  name: string;
  /** Units a subject may spend at once; one unit comes back every windowMs / limit. */
  limit: number;
  windowMs: number;
  /**
   * When Redis cannot answer: 'closed' refuses with 503 `unavailable` (security throttles, where
   * an unlimited caller could guess a secret), 'open' lets the request through and logs it
   * (load protection, where the check behind the limit is safe on its own).
   */
  whenUnavailable: 'open' | 'closed';
};

/** One policy applied to one subject: a partner id, a client address, a contact's digest. */
export type Limit = { policy: LimitPolicy; subject: string };

export type LimitDecision = {
  allowed: boolean;
  /** Units left after this call, the least over the limits checked. */
  remaining: number;
  /** Refused: how long until the request would fit. Allowed: until one more would (0 if now). */
  retryAfterMs: number;
  /** The first limit that had no room. */
  refusedBy: LimitPolicy | undefined;
};

export type LimiterDeps = Pick<Services, 'redis' | 'config' | 'clock' | 'logger'>;

/**
 * A policy, checked once where it is declared. The refill interval is windowMs / limit rounded
 * down to whole microseconds. With a window of at least limit² µs (every limit up to 7,745 a
 * minute) the rounding never lets one unit more than the limit through at once; above that a
 * burst may pass it by one, which only load limits that large could notice.
 */
export function limitPolicy(policy: LimitPolicy): LimitPolicy {
  const ok =
    Number.isSafeInteger(policy.limit) &&
    policy.limit >= 1 &&
    Number.isSafeInteger(policy.windowMs) &&
    Math.floor((policy.windowMs * 1000) / policy.limit) >= 1 &&
    /^[a-z0-9-]+$/.test(policy.name);
  if (!ok) throw new Error(`limit policy ${policy.name} is not valid`);
  return Object.freeze({ ...policy });
}

// KEYS: one per limit. ARGV: now (µs), mode, cost, then per key its refill interval and its
// window (µs). A key holds the theoretical arrival time (TAT): when its bucket is full again.
// Modes: 'all' charges every key or none, 'each' charges each key that has room, 'give'
// hands units back. Returns per key: fits (1/0), units remaining, and milliseconds until one
// more unit fits.
const gcraScript = `
local now = tonumber(ARGV[1])
local mode = ARGV[2]
local cost = tonumber(ARGV[3])
local out, nextTat, fits = {}, {}, true
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 + i * 2])
  local window = tonumber(ARGV[3 + i * 2])
  local tat = math.max(tonumber(redis.call('GET', KEYS[i]) or now), now)
  local newTat = tat + cost * interval
  if mode == 'give' then newTat = math.max(tat - cost * interval, now) end
  local ok = mode == 'give' or newTat - now <= window
  if ok then
    out[#out + 1] = 1
    out[#out + 1] = math.floor((window - (newTat - now)) / interval)
    out[#out + 1] = math.ceil(math.max(0, newTat + interval - now - window) / 1000)
  else
    fits = false
    out[#out + 1] = 0
    out[#out + 1] = math.max(0, math.floor((window - (tat - now)) / interval))
    out[#out + 1] = math.ceil((newTat - now - window) / 1000)
  end
  nextTat[i] = newTat
end
for i = 1, #KEYS do
  local charge = mode == 'give' or (mode == 'all' and fits) or (mode == 'each' and out[i * 3 - 2] == 1)
  if charge then
    local ttl = math.ceil((nextTat[i] - now) / 1000)
    if ttl > 0 then
      redis.call('SET', KEYS[i], string.format('%.0f', nextTat[i]), 'PX', ttl)
    else
      redis.call('DEL', KEYS[i])
    end
  end
end
return out
`;

type Mode = 'all' | 'each' | 'give';
type KeyResult = { fits: boolean; remaining: number; retryAfterMs: number };
type LimiterRedis = Redis & {
  hubLimiterGcra(keyCount: number, ...args: string[]): Promise<unknown>;
};

function hasLimiterCommand(redis: Redis): redis is LimiterRedis {
  return 'hubLimiterGcra' in redis && typeof redis.hubLimiterGcra === 'function';
}

function limiterRedis(redis: Redis): LimiterRedis {
  if (!hasLimiterCommand(redis)) redis.defineCommand('hubLimiterGcra', { lua: gcraScript });
  if (!hasLimiterCommand(redis)) throw new Error('the limiter script could not be defined');
  return redis;
}

export function limitKey(deps: Pick<Services, 'config'>, limit: Limit): string {
  return redisKey(deps.config, 'limit', limit.policy.name, limit.subject);
}

function parseResults(reply: unknown, count: number): KeyResult[] {
  const flat = Array.isArray(reply) ? reply.map(Number) : [];
  if (flat.length !== count * 3 || flat.some((n) => !Number.isFinite(n))) {
    throw new Error('unexpected reply from the limiter script');
  }
  return Array.from({ length: count }, (_, i) => ({
    fits: flat[i * 3] === 1,
    remaining: flat[i * 3 + 1] ?? 0,
    retryAfterMs: flat[i * 3 + 2] ?? 0,
  }));
}

/** Runs the script; undefined when Redis failed and every limit fails open. */
async function run(
  deps: LimiterDeps,
  limits: readonly Limit[],
  mode: Mode,
  cost: number,
): Promise<KeyResult[] | undefined> {
  const args = [String(deps.clock.now().getTime() * 1000), mode, String(cost)];
  for (const { policy } of limits) {
    args.push(String(Math.floor((policy.windowMs * 1000) / policy.limit)));
    args.push(String(policy.windowMs * 1000));
  }
  try {
    const keys = limits.map((limit) => limitKey(deps, limit));
    const reply = await limiterRedis(deps.redis).hubLimiterGcra(keys.length, ...keys, ...args);
    return parseResults(reply, limits.length);
  } catch (error) {
    const names = limits.map((l) => l.policy.name);
    if (limits.some((l) => l.policy.whenUnavailable === 'closed')) {
      deps.logger.warn({ err: error, limits: names }, 'limit not checked: refusing');
      throw new AppError(
        'unavailable',
        'The hub cannot check its limits right now; retry shortly.',
      );
    }
    deps.logger.warn({ err: error, limits: names }, 'limit not checked: letting the request on');
    return undefined;
  }
}

function decide(limits: readonly Limit[], results: KeyResult[] | undefined): LimitDecision {
  if (results === undefined) {
    return { allowed: true, remaining: 0, retryAfterMs: 0, refusedBy: undefined };
  }
  const refused = results.findIndex((r) => !r.fits);
  const allowed = refused === -1;
  const counted = results.filter((r) => r.fits === allowed);
  return {
    allowed,
    remaining: allowed ? Math.min(...results.map((r) => r.remaining)) : 0,
    retryAfterMs: Math.max(0, ...counted.map((r) => r.retryAfterMs)),
    refusedBy: limits[refused]?.policy,
  };
}

/**
 * Checks and counts in one step: if every limit has room for `cost`, all are charged and the
 * request is allowed; otherwise nothing is charged.
 */
export async function takeLimits(
  deps: LimiterDeps,
  limits: readonly Limit[],
  cost = 1,
): Promise<LimitDecision> {
  return decide(limits, await run(deps, limits, 'all', cost));
}

/** Hands back units taken earlier (never more than makes the bucket full). */
export async function giveBackLimits(
  deps: LimiterDeps,
  limits: readonly Limit[],
  cost = 1,
): Promise<void> {
  try {
    await run(deps, limits, 'give', cost);
  } catch (error) {
    // The unit stays taken: a refund that fails errs on the side of the limit.
    deps.logger.warn({ err: error }, 'limit units not given back');
  }
}

// KEYS[1]: the limit's key, KEYS[2]: the key to look up. ARGV: now, interval, window (µs).
// The limit counts misses only: with no room for one more the look-up is refused (nothing is
// read); a present key is returned and charges nothing; a missing key charges one unit. Same
// TAT as gcraScript, so both count into one bucket.
const lookUpScript = `
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or now), now)
local newTat = tat + interval
if newTat - now > window then return {0, math.ceil((newTat - now - window) / 1000)} end
local value = redis.call('GET', KEYS[2])
if value then return {1, value} end
redis.call('SET', KEYS[1], string.format('%.0f', newTat), 'PX', math.ceil((newTat - now) / 1000))
return {2, 0}
`;

type LookUpRedis = Redis & {
  hubLimiterLookUp(limitKey: string, key: string, ...args: string[]): Promise<unknown>;
};

function lookUpRedis(redis: Redis): LookUpRedis {
  if (!('hubLimiterLookUp' in redis))
    redis.defineCommand('hubLimiterLookUp', { numberOfKeys: 2, lua: lookUpScript });
  return redis as LookUpRedis;
}

/**
 * Looks a secret up under a limit that counts misses, in ONE atomic step: a caller over the
 * limit is refused before anything is read, a hit costs nothing, a miss costs one unit. So
 * however many guesses one caller sends at once, at most `limit` misses are looked up, and
 * however many good secrets it presents at once, none is refused. Returns the value, or
 * undefined for a miss; refuses with 429 (`detail`) over the limit.
 */
export async function lookUpCountingMisses(
  deps: LimiterDeps,
  limit: Limit,
  key: string,
  detail: string,
): Promise<string | undefined> {
  const { policy } = limit;
  let reply: unknown;
  try {
    reply = await lookUpRedis(deps.redis).hubLimiterLookUp(
      limitKey(deps, limit),
      key,
      String(deps.clock.now().getTime() * 1000),
      String(Math.floor((policy.windowMs * 1000) / policy.limit)),
      String(policy.windowMs * 1000),
    );
  } catch (error) {
    deps.logger.warn({ err: error, limit: policy.name }, 'look-up not checked: refusing');
    throw new AppError('unavailable', 'The hub cannot check its limits right now; retry shortly.');
  }
  const [outcome, value] = Array.isArray(reply) ? reply : [];
  if (outcome === 1) return String(value);
  if (outcome === 2) return undefined;
  if (outcome === 0) throw rateLimited(detail, Number(value));
  throw new Error('unexpected reply from the look-up script');
}

/** The 429 a refused decision answers with; Retry-After in whole seconds, at least one. */
export function rateLimited(detail: string, retryAfterMs: number): AppError {
  return new AppError('rate_limited', detail, {
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
  });
}

/** takeLimits, refusing with 429 `rate_limited` (`detail` per refusing policy) when full. */
export async function enforceLimits(
  deps: LimiterDeps,
  limits: readonly Limit[],
  detail: (refusedBy: LimitPolicy) => string,
): Promise<LimitDecision> {
  const decision = await takeLimits(deps, limits);
  if (!decision.allowed && decision.refusedBy) {
    throw rateLimited(detail(decision.refusedBy), decision.retryAfterMs);
  }
  return decision;
}

export type FailureOptions = {
  /** Whether an error thrown by the attempt is the caller's failure (a wrong code, say). */
  isFailure: (error: unknown) => boolean;
  /** The 429's detail, per the policy that refused. */
  detail: (refusedBy: LimitPolicy) => string;
};

/**
 * For a secret that can be guessed (a pay code, a sign-in code): one attempt is taken from the
 * limits before the comparison, so that however many guesses arrive at once, at most `limit`
 * are compared. The attempt is given back when it did not fail (a right code, or an error that
 * is not the caller's, such as a database outage): only failures use up the limit, as a caller
 * who gets codes right expects. The price: attempts in flight count until they finish, so a
 * caller with more than `limit` comparisons at the same instant is told to retry shortly.
 */
export async function limitAttempt<T>(
  deps: LimiterDeps,
  limits: readonly Limit[],
  attempt: () => Promise<T>,
  options: FailureOptions,
): Promise<T> {
  await enforceLimits(deps, limits, options.detail);
  try {
    const result = await attempt();
    await giveBackLimits(deps, limits);
    return result;
  } catch (error) {
    if (!options.isFailure(error)) await giveBackLimits(deps, limits);
    throw error;
  }
}

/*
 * Failed checks of secrets that cannot be guessed (request signatures, staff tokens, member
 * sessions) are limited after the fact: the check runs, and only a failure is counted, so
 * that a caller's good traffic never waits on Redis and never counts. A limit that a failure
 * fills is remembered in this process until it has room again; meanwhile requests under it are
 * refused before the check, costing neither the check nor a round trip. Each process learns
 * on its own (at most one more check each), and concurrent failures may pass the limit by the
 * number in flight: acceptable where no guess can succeed, unlike limitAttempt's codes.
 */

type GateEntry = { blockedUntilMs: number; failedUntilMs: number };

/** Entries kept per hub (per Redis client, so each test's hub has its own); oldest dropped. */
const gateEntriesMax = 10_000;
const gates = new WeakMap<Redis, Map<string, GateEntry>>();

function gateFor(deps: Pick<Services, 'redis'>): Map<string, GateEntry> {
  let gate = gates.get(deps.redis);
  if (gate === undefined) {
    gate = new Map();
    gates.set(deps.redis, gate);
  }
  return gate;
}

function gateEntry(deps: LimiterDeps, limit: Limit): GateEntry | undefined {
  const key = limitKey(deps, limit);
  const found = gateFor(deps).get(key);
  if (found && Math.max(found.blockedUntilMs, found.failedUntilMs) <= deps.clock.now().getTime()) {
    gateFor(deps).delete(key);
    return undefined;
  }
  return found;
}

function remember(deps: LimiterDeps, limit: Limit, entry: GateEntry): void {
  const gate = gateFor(deps);
  const key = limitKey(deps, limit);
  gate.delete(key);
  gate.set(key, entry);
  if (gate.size > gateEntriesMax) {
    const oldest = gate.keys().next().value;
    if (oldest !== undefined) gate.delete(oldest);
  }
}

/** How long this process still refuses under the limit before checking (0: not blocked). */
export function blockedForMs(deps: LimiterDeps, limit: Limit): number {
  const entry = gateEntry(deps, limit);
  return Math.max(0, (entry?.blockedUntilMs ?? 0) - deps.clock.now().getTime());
}

/** Whether this process counted a failure against the limit within the policy's window. */
export function failedRecently(deps: LimiterDeps, limit: Limit): boolean {
  return (gateEntry(deps, limit)?.failedUntilMs ?? 0) > deps.clock.now().getTime();
}

/** Refuses with 429 when this process knows one of the limits to be full; no round trip. */
export function refuseIfBlocked(
  deps: LimiterDeps,
  limits: readonly Limit[],
  detail: (refusedBy: LimitPolicy) => string,
): void {
  for (const limit of limits) {
    const waitMs = blockedForMs(deps, limit);
    if (waitMs > 0) throw rateLimited(detail(limit.policy), waitMs);
  }
}

/**
 * Counts one failure against each limit on its own (a full one does not stop the others from
 * counting). A limit left without room is remembered as blocked, and said once in the log.
 */
export async function countFailures(
  deps: LimiterDeps,
  limits: readonly Limit[],
): Promise<LimitDecision> {
  const results = await run(deps, limits, 'each', 1);
  const nowMs = deps.clock.now().getTime();
  limits.forEach((limit, i) => {
    const result = results?.[i];
    if (!result) return;
    const wasBlocked = blockedForMs(deps, limit) > 0;
    const blockedUntilMs = result.retryAfterMs > 0 ? nowMs + result.retryAfterMs : 0;
    remember(deps, limit, { blockedUntilMs, failedUntilMs: nowMs + limit.policy.windowMs });
    if (blockedUntilMs > 0 && !wasBlocked) {
      deps.logger.warn(
        { limit: limit.policy.name, subject: limit.subject, retryAfterMs: result.retryAfterMs },
        'failure limit reached: refusing before checking',
      );
    }
  });
  return decide(limits, results);
}

/**
 * Runs a check of an unguessable secret behind failure limits: refused before the check while
 * a limit is known full; a failure counted against every limit after it, answered with 429
 * instead of the check's own error once a limit had no room left for it.
 */
export async function guardFailures<T>(
  deps: LimiterDeps,
  limits: readonly Limit[],
  check: () => Promise<T>,
  options: FailureOptions,
): Promise<T> {
  refuseIfBlocked(deps, limits, options.detail);
  try {
    return await check();
  } catch (error) {
    if (!options.isFailure(error)) throw error;
    const decision = await countFailures(deps, limits);
    if (!decision.allowed && decision.refusedBy) {
      throw rateLimited(options.detail(decision.refusedBy), decision.retryAfterMs);
    }
    throw error;
  }
}
