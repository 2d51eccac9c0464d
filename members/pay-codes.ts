import { createHash, randomInt } from 'node:crypto';
import { sql } from 'kysely';
import QRCode from 'qrcode';
import {
  AppError,
  type Db,
  enforceLimits,
  giveBackLimits,
  limitPolicy,
  lookUpCountingMisses,
  redisKey,
  type Services,
  takeLimits,
} from '../platform/index.ts';
import { requireActiveMember } from './members.ts';

/**
 * Pay codes for the counter. A signed-in member asks for one; it is 18 digits (1D barcode
 * scanners read digits), starts with the alliance's prefix so that a till knows whose code it
 * is, and carries 16 random digits from the OS's CSPRNG. It is bound to the member, lives at
 * most 60 seconds, and asking for a new code kills the
 * previous one. It is used up once, by the redemption's own database transaction (usePayCode),
 * so that a refused redemption leaves it valid. Failed guesses are counted per caller and
 * throttled.
 */

export const payCodePrefix = '89';
export const payCodeLength = 18;
export const payCodeTtlMs = 60_000;
/** Invalid codes one caller (a partner) may present per window before it is made to wait. */
export const payCodeFailuresMax = 10;
export const payCodeFailureWindowMs = 60_000;
/** Codes a member may ask for per minute. */
export const payCodeIssuesPerMinuteMax = 20;

/**
 * Guesses per caller, fail closed: without Redis an unthrottled caller could try codes at
 * will, so the till is told to retry (503) instead.
 */
const payCodeGuesses = limitPolicy({
  name: 'paycode-guesses',
  limit: payCodeFailuresMax,
  windowMs: payCodeFailureWindowMs,
  whenUnavailable: 'closed',
});

/** Codes asked for per member, fail closed: without Redis no code could be kept anyway. */
const payCodeIssues = limitPolicy({
  name: 'paycode-issues',
  limit: payCodeIssuesPerMinuteMax,
  windowMs: 60_000,
  whenUnavailable: 'closed',
});

type PayCodeDeps = Pick<Services, 'db' | 'clock' | 'redis' | 'config' | 'logger'>;

function randomDigits(count: number): string {
  let digits = '';
  while (digits.length < count) {
    // randomInt draws without modulo bias; 8 digits at a time stays under its 2^48 range.
    digits += String(randomInt(0, 100_000_000)).padStart(8, '0');
  }
  return digits.slice(0, count);
}

export function generatePayCode(): string {
  return payCodePrefix + randomDigits(payCodeLength - payCodePrefix.length);
}

const codeKey = (deps: PayCodeDeps, code: string) => redisKey(deps.config, 'paycode', code);
const currentKey = (deps: PayCodeDeps, memberId: string) =>
  redisKey(deps.config, 'paycode-member', memberId);

export type PayCode = { code: string; expiresAt: Date };

export async function issuePayCode(deps: PayCodeDeps, memberId: string): Promise<PayCode> {
  await requireActiveMember(deps.db, memberId);
  await enforceLimits(
    deps,
    [{ policy: payCodeIssues, subject: memberId }],
    () => 'Too many pay codes asked for; wait a moment.',
  );
  const expiresAt = new Date(deps.clock.now().getTime() + payCodeTtlMs);
  const value = `${memberId}|${expiresAt.getTime()}`;
  for (let attempt = 0; attempt < 5; attempt++) {
    const code = generatePayCode();
    // NX: a code in use is never overwritten (a collision of 16 random digits is ~never).
    const set = await deps.redis.set(codeKey(deps, code), value, 'PX', payCodeTtlMs, 'NX');
    if (set !== 'OK') continue;
    const previous = await deps.redis.getset(currentKey(deps, memberId), code);
    await deps.redis.pexpire(currentKey(deps, memberId), payCodeTtlMs);
    if (previous && previous !== code) await deps.redis.del(codeKey(deps, previous));
    return { code, expiresAt };
  }
  throw new AppError('unavailable', 'Could not issue a pay code; try again.');
}

/** The member's live code, if any (to render it again), never another member's. */
export async function currentPayCode(
  deps: PayCodeDeps,
  memberId: string,
): Promise<PayCode | undefined> {
  const code = await deps.redis.get(currentKey(deps, memberId));
  if (!code) return undefined;
  const value = await deps.redis.get(codeKey(deps, code));
  const bound = value && parseValue(value);
  if (!bound || bound.memberId !== memberId) return undefined;
  if (bound.expiresAtMs <= deps.clock.now().getTime()) return undefined;
  return { code, expiresAt: new Date(bound.expiresAtMs) };
}

function parseValue(value: string): { memberId: string; expiresAtMs: number } | undefined {
  const [memberId, expires] = value.split('|');
  const expiresAtMs = Number(expires);
  return memberId && Number.isSafeInteger(expiresAtMs) ? { memberId, expiresAtMs } : undefined;
}

/** A pay code read at a counter: the member it is bound to, not yet used up. */
export type PresentedPayCode = { code: string; memberId: string };

/**
 * The member a live pay code is bound to, without using it up, for the caller (a partner) that
 * presents it: unknown, expired and malformed codes are all undefined, so that a guesser learns
 * nothing. Each miss counts against the caller's guesses in the same atomic step as the
 * look-up (a caller over payCodeFailuresMax a minute is refused, 429); good codes count nothing,
 * however many a caller presents at once. The code is used up by usePayCode, in the
 * transaction that spends.
 */
export async function readPayCode(
  deps: PayCodeDeps,
  code: string,
  callerId: string,
): Promise<PresentedPayCode | undefined> {
  const limit = { policy: payCodeGuesses, subject: callerId };
  // A malformed code is looked up under a key no code has: a miss, counted like any other.
  const wellFormed = /^[0-9]{18}$/.test(code) && code.startsWith(payCodePrefix);
  const value = await lookUpCountingMisses(
    deps,
    limit,
    codeKey(deps, wellFormed ? code : 'malformed'),
    'Too many invalid pay codes; wait before trying again.',
  );
  const bound = value ? parseValue(value) : undefined;
  if (bound && bound.expiresAtMs > deps.clock.now().getTime()) {
    return { code, memberId: bound.memberId };
  }
  if (value) await countPayCodeMiss(deps, callerId);
  return undefined;
}

/** A code that was there but could not be used (expired, used, its member gone): a miss too. */
export async function countPayCodeMiss(deps: PayCodeDeps, callerId: string): Promise<void> {
  await takeLimits(deps, [{ policy: payCodeGuesses, subject: callerId }]);
}

/** A miss that was no guess (a retry presenting the code its first attempt used up). */
export async function forgivePayCodeMiss(deps: PayCodeDeps, callerId: string): Promise<void> {
  await giveBackLimits(deps, [{ policy: payCodeGuesses, subject: callerId }]);
}

function codeDigest(code: string): string {
  return createHash('sha256').update(code).digest('base64url');
}

/**
 * Uses the code up for an order, in the caller's transaction (the one that spends the points):
 * false when it was used already, or its member is no longer active. The unique digest is the
 * guard, so a code pays for one order only, however many counters present it at once, and a
 * redemption that is refused or rolled back leaves it valid.
 */
export async function usePayCode(
  tx: Db,
  use: PresentedPayCode & { partnerId: string; orderId: string; at: Date },
): Promise<boolean> {
  const { rows } = await sql<{ code_digest: string }>`
    INSERT INTO pay_code_uses (code_digest, member_id, partner_id, order_id, used_at)
    SELECT ${codeDigest(use.code)}, id, ${use.partnerId}::uuid, ${use.orderId}, ${use.at.toISOString()}::timestamptz
    FROM members WHERE id = ${use.memberId}::uuid AND status = 'active'
    ON CONFLICT (code_digest) DO NOTHING
    RETURNING code_digest`.execute(tx);
  return rows.length === 1;
}

/** Once its use has committed, the code leaves Redis; its use row already refuses it. */
export async function dropPayCode(deps: PayCodeDeps, code: string): Promise<void> {
  await deps.redis.del(codeKey(deps, code)).catch(() => {});
}

/** Pay-code uses are kept a day (the codes live a minute): enough for any retry to find. */
export async function deleteOldPayCodeUses(db: Db, now: Date): Promise<number> {
  const result = await db
    .deleteFrom('pay_code_uses')
    .where('used_at', '<', new Date(now.getTime() - 24 * 60 * 60 * 1000))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The code as an SVG QR code (numeric mode, medium error correction). */
export async function payCodeQrSvg(code: string): Promise<string> {
  return QRCode.toString(code, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}
