import {
  AppError,
  type FieldProblem,
  isAcceptableText,
  isStorableTime,
  isUuid,
  textRule,
} from '../platform/index.ts';

/**
 * Everything a till sends is checked here before anything is written, with the request's own
 * field names: a value PostgreSQL would refuse must never reach a shared batch, where it would
 * fail other callers' purchases beside it.
 */

/** How late a till may report a purchase (an offline till catching up), and how early. */
export const purchaseAgeMaxMs = 30 * 24 * 60 * 60 * 1000;
export const purchaseAheadMaxMs = 5 * 60 * 1000;
/** The largest amount of one order, in minor units (10 billion CNY). */
export const amountMinorMax = 1_000_000_000_000;
export const pointsMax = 1_000_000_000;
export const linesMax = 200;

/**
 * How a till names a member: its own customer id, the alliance member id, or the member code
 * the member shows in their app (their live pay code, scanned: it identifies them, and the
 * member showing it is their consent to be seen by this partner; it is not used up).
 */
export type MemberRef = { memberId: string } | { customerId: string } | { memberCode: string };

export type PurchaseInput = {
  orderId: string;
  storeCode: string;
  amountMinor: number;
  lines?: { category: string; amountMinor: number }[];
  purchasedAt: Date;
  member: MemberRef;
};

export type RedemptionInput = {
  payCode: string;
  storeCode: string;
  orderId: string;
  orderAmountMinor: number;
  points: number;
};

/** Collects every field problem of one request, then refuses once, naming them all. */
class Checks {
  readonly problems: FieldProblem[] = [];

  text(field: string, value: unknown, maxLength: number): void {
    if (typeof value !== 'string' || value.length < 1 || value.length > maxLength)
      this.problems.push({ field, reason: `1 to ${maxLength} characters` });
    else if (!isAcceptableText(value)) this.problems.push({ field, reason: textRule });
  }

  integer(field: string, value: unknown, min: number, max: number): void {
    if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max)
      this.problems.push({ field, reason: `an integer from ${min} to ${max}` });
  }

  /** A time a till reports: at most 5 minutes ahead of the hub, at most 30 days ago. */
  recentTime(field: string, at: unknown, now: Date): void {
    if (!(at instanceof Date) || !isStorableTime(at))
      this.problems.push({ field, reason: 'not a valid time' });
    else if (at.getTime() > now.getTime() + purchaseAheadMaxMs)
      this.problems.push({
        field,
        reason: `more than ${purchaseAheadMaxMs / 60_000} minutes ahead of the hub's clock`,
      });
    else if (at.getTime() < now.getTime() - purchaseAgeMaxMs)
      this.problems.push({
        field,
        reason: `more than ${purchaseAgeMaxMs / 86_400_000} days ago: too late to count`,
      });
  }

  refuse(): void {
    if (this.problems.length > 0)
      throw new AppError('validation_failed', 'Some fields are not valid.', {
        fields: this.problems,
      });
  }
}

export function checkMemberRef(checks: Checks, ref: MemberRef): void {
  if ('customerId' in ref) checks.text('member.customerId', ref.customerId, 100);
  else if ('memberCode' in ref) {
    if (typeof ref.memberCode !== 'string' || !/^[0-9]{18}$/.test(ref.memberCode))
      checks.problems.push({
        field: 'member.memberCode',
        reason: 'the 18 digits of a member code',
      });
  } else if (typeof ref.memberId !== 'string' || !isUuid(ref.memberId))
    checks.problems.push({ field: 'member.memberId', reason: 'a member id (uuid)' });
}

/** A purchase as a till reports it, at the hub's `now`. */
export function checkPurchase(input: PurchaseInput, now: Date): void {
  const checks = new Checks();
  checks.text('orderId', input.orderId, 100);
  checks.text('storeCode', input.storeCode, 64);
  checks.integer('amountMinor', input.amountMinor, 1, amountMinorMax);
  if (input.lines !== undefined) {
    if (input.lines.length > linesMax)
      checks.problems.push({ field: 'lines', reason: `at most ${linesMax} lines` });
    input.lines.slice(0, linesMax).forEach((line, i) => {
      checks.text(`lines.${i}.category`, line.category, 64);
      checks.integer(`lines.${i}.amountMinor`, line.amountMinor, 0, amountMinorMax);
    });
  }
  checks.recentTime('purchasedAt', input.purchasedAt, now);
  checkMemberRef(checks, input.member);
  checks.refuse();
}

export function checkRedemption(input: RedemptionInput): void {
  const checks = new Checks();
  if (typeof input.payCode !== 'string' || !/^\d{18}$/.test(input.payCode))
    checks.problems.push({ field: 'payCode', reason: 'the 18 digits the member shows' });
  checks.text('storeCode', input.storeCode, 64);
  checks.text('orderId', input.orderId, 100);
  checks.integer('orderAmountMinor', input.orderAmountMinor, 1, amountMinorMax);
  checks.integer('points', input.points, 1, pointsMax);
  checks.refuse();
}

export function checkFields(
  fields: Array<[field: string, value: unknown, kind: 'text' | 'points' | 'amount', max?: number]>,
): void {
  const checks = new Checks();
  for (const [field, value, kind, max] of fields) {
    if (kind === 'text') checks.text(field, value, max ?? 100);
    else if (kind === 'points') checks.integer(field, value, 1, pointsMax);
    else checks.integer(field, value, 1, amountMinorMax);
  }
  checks.refuse();
}

/** A reported time (an activity's): within the same bounds as a purchase's. */
export function checkRecentTime(field: string, at: Date, now: Date): void {
  const checks = new Checks();
  checks.recentTime(field, at, now);
  checks.refuse();
}

export function checkRef(ref: MemberRef): void {
  const checks = new Checks();
  checkMemberRef(checks, ref);
  checks.refuse();
}
