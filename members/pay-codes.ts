import { randomInt } from 'node:crypto';
import QRCode from 'qrcode';
import {
  AppError,
  enforceLimits,
  isAppError,
  limitAttempt,
  limitPolicy,
  redisKey,
  type Services,
} from '../platform/index.ts';
import { requireActiveMember } from './members.ts';

/**
 * Pay codes for the counter. A signed-in member asks for one; it is 18 digits (1D barcode
 * scanners read digits), starts with the alliance's prefix so that a till knows whose code it
 * is, and carries 16 random digits from the OS's CSPRNG. It is bound to the member, lives at
 * most 60 seconds, and is consumed once, atomically (GETDEL). Asking for a new code kills the
 * previous one. Failed consumes are counted per caller and throttled.
 */

export const payCodePrefix = '89';
export const payCodeLength = 18;
export const payCodeTtlMs = 60_000;
/** Failed consumes one caller (a partner) may make per window before it is made to wait. */
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

export type ConsumeOptions = {
  /** Who presents the code (the partner's id); failures are throttled per caller. */
  callerId?: string;
  /** When the till already knows the member, a code bound to anyone else is refused. */
  memberId?: string;
};

/**
 * Takes a pay code at the counter: returns the member it is bound to and makes it unusable.
 * Unknown, expired, used and other members' codes are one error (pay_code_invalid), so the
 * answer tells a guesser nothing; too many failures from one caller answer rate_limited.
 */
export async function consumePayCode(
  deps: PayCodeDeps,
  code: string,
  options: ConsumeOptions = {},
): Promise<{ memberId: string }> {
  return limitPayCodeGuesses(deps, options.callerId, async () => {
    const memberId = await takeCode(deps, code, options.memberId);
    if (!memberId) throw new AppError('pay_code_invalid', 'The pay code is not valid.');
    return { memberId };
  });
}

/**
 * Runs one pay-code comparison under the caller's guess limit (payCodeFailuresMax per
 * payCodeFailureWindowMs). The attempt is taken before the comparison, so that however many
 * codes one caller presents at once, at most the limit are compared; it is given back unless
 * the attempt threw pay_code_invalid, so that only invalid codes use the limit up.
 */
export async function limitPayCodeGuesses<T>(
  deps: PayCodeDeps,
  callerId: string | undefined,
  attempt: () => Promise<T>,
): Promise<T> {
  return limitAttempt(
    deps,
    [{ policy: payCodeGuesses, subject: callerId ?? 'anonymous' }],
    attempt,
    {
      isFailure: (error) => isAppError(error) && error.type === 'pay_code_invalid',
      detail: () => 'Too many invalid pay codes; wait before trying again.',
    },
  );
}

async function takeCode(
  deps: PayCodeDeps,
  code: string,
  expectedMemberId: string | undefined,
): Promise<string | undefined> {
  if (!/^[0-9]{18}$/.test(code) || !code.startsWith(payCodePrefix)) return undefined;
  const value = await deps.redis.getdel(codeKey(deps, code));
  const bound = value ? parseValue(value) : undefined;
  if (!bound) return undefined;
  if (bound.expiresAtMs <= deps.clock.now().getTime()) return undefined;
  if (expectedMemberId !== undefined && expectedMemberId !== bound.memberId) return undefined;
  const member = await deps.db
    .selectFrom('members')
    .select('status')
    .where('id', '=', bound.memberId)
    .executeTakeFirst();
  return member?.status === 'active' ? bound.memberId : undefined;
}

/** The code as an SVG QR code (numeric mode, medium error correction). */
export async function payCodeQrSvg(code: string): Promise<string> {
  return QRCode.toString(code, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}
