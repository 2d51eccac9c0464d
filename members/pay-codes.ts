import { randomInt } from 'node:crypto';
import QRCode from 'qrcode';
import { AppError, redisKey, type Services } from '../platform/index.ts';
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

type PayCodeDeps = Pick<Services, 'db' | 'clock' | 'redis' | 'config'>;

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
  const issuesKey = redisKey(deps.config, 'paycode-issues', memberId);
  const [[, issued]] = (await deps.redis
    .multi()
    .incr(issuesKey)
    .pexpire(issuesKey, 60_000, 'NX')
    .exec()) as [[null, number], [null, number]];
  if (issued > payCodeIssuesPerMinuteMax) {
    throw new AppError('rate_limited', 'Too many pay codes asked for; wait a minute.', {
      retryAfterSeconds: 60,
    });
  }
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
  const failuresKey = redisKey(deps.config, 'paycode-failures', options.callerId ?? 'anonymous');
  const failures = Number((await deps.redis.get(failuresKey)) ?? 0);
  if (failures >= payCodeFailuresMax) {
    const ttlMs = await deps.redis.pttl(failuresKey);
    throw new AppError('rate_limited', 'Too many invalid pay codes; wait before trying again.', {
      retryAfterSeconds: Math.max(
        1,
        Math.ceil((ttlMs > 0 ? ttlMs : payCodeFailureWindowMs) / 1000),
      ),
    });
  }
  const memberId = await takeCode(deps, code, options.memberId);
  if (memberId) return { memberId };
  await deps.redis
    .multi()
    .incr(failuresKey)
    .pexpire(failuresKey, payCodeFailureWindowMs, 'NX')
    .exec();
  throw new AppError('pay_code_invalid', 'The pay code is not valid.');
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
