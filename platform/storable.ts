/**
 * What PostgreSQL would refuse, checked before a value reaches it: a refusal inside a shared
 * batch would otherwise fail every caller in the batch, and outside one it is a 500. Callers
 * check their inputs with these and name their own field in the 400 they answer.
 */

/** Text PostgreSQL stores: no NUL character, and well-formed UTF-16 (no lone surrogate). */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && value.isWellFormed();
}

const earliestMs = Date.UTC(1900, 0, 1);
const latestMs = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * A time whose ISO form PostgreSQL reads back as the same instant: a valid Date from 1900 to the
 * end of 9999 (toISOString writes later years with six digits and a sign, which it refuses).
 */
export function isStorableTime(value: Date): boolean {
  const ms = value.getTime();
  return Number.isFinite(ms) && ms >= earliestMs && ms <= latestMs;
}
