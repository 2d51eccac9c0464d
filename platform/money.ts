/**
 * Integer money. Points and currency amounts are integers (currency in minor units: fen).
 * Rates are exact ratios of integers; every division names its rounding rule.
 */

export class MoneyError extends Error {
  override name = 'MoneyError';
}

/** The largest amount the hub accepts in one figure: far above any real balance. */
export const amountMax = Number.MAX_SAFE_INTEGER;

export function assertAmount(value: number, what = 'amount'): number {
  if (!Number.isSafeInteger(value))
    throw new MoneyError(`${what} must be a safe integer, got ${value}`);
  return value;
}

/** An exact rate: numerator / denominator, both integers, denominator positive. */
export type Ratio = { numerator: number; denominator: number };

/** Parses a decimal string such as "0.02" or "1.5" into an exact ratio. */
export function parseRatio(decimal: string): Ratio {
  const match = /^(\d{1,12})(?:\.(\d{1,9}))?$/.exec(decimal);
  if (!match) throw new MoneyError(`not a non-negative decimal: ${decimal}`);
  const fraction = match[2] ?? '';
  const denominator = 10 ** fraction.length;
  return { numerator: Number(`${match[1]}${fraction}`), denominator };
}

function toBig(value: number, what: string): bigint {
  return BigInt(assertAmount(value, what));
}

function fromBig(value: bigint): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new MoneyError(`result out of safe integer range: ${value}`);
  return n;
}

/** amount x ratio, rounded toward negative infinity (the accrual rule: never award a fraction). */
export function multiplyFloor(amount: number, ratio: Ratio): number {
  const n = toBig(amount, 'amount') * toBig(ratio.numerator, 'numerator');
  const d = toBig(ratio.denominator, 'denominator');
  const q = n / d;
  return fromBig(n % d !== 0n && n < 0n ? q - 1n : q);
}

/** amount x ratio, rounded half to even (the fee rule: no bias across many obligations). */
export function multiplyHalfEven(amount: number, ratio: Ratio): number {
  const n = toBig(amount, 'amount') * toBig(ratio.numerator, 'numerator');
  const d = toBig(ratio.denominator, 'denominator');
  if (d <= 0n) throw new MoneyError('denominator must be positive');
  const negative = n < 0n;
  const abs = negative ? -n : n;
  let q = abs / d;
  const twiceRemainder = (abs % d) * 2n;
  if (twiceRemainder > d || (twiceRemainder === d && q % 2n === 1n)) q += 1n;
  return fromBig(negative ? -q : q);
}

/** Sum of integers, refusing any that would lose precision. */
export function sumAmounts(values: Iterable<number>): number {
  let total = 0n;
  for (const v of values) total += toBig(v, 'amount');
  return fromBig(total);
}

/** An amount in minor units as people read it: 88800 CNY is "888.00 CNY" (two decimals). */
export function formatMinor(amountMinor: number, currency: string): string {
  const sign = amountMinor < 0 ? '-' : '';
  const abs = Math.abs(amountMinor);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')} ${currency}`;
}
