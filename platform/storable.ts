/**
 * What PostgreSQL would refuse, checked before a value reaches it: a refusal inside a shared
 * batch would otherwise fail every caller in the batch, and outside one it is a 500. Callers
 * check their inputs with these and name their own field in the 400 they answer.
 */

/**
 * What the hub accepts inside any text it is given (the gateway applies it to every JSON string
 * and key, query and path parameter and uploaded line; the domains to the text they store).
 * PostgreSQL refuses U+0000 in text, other control characters have no business in names, ids
 * or codes and break the CSVs and logs they end up in, and a lone surrogate is not text at all
 * (it cannot be encoded as UTF-8). Tab, line feed and carriage return stay allowed: free-text
 * fields may hold them, and each schema may be stricter.
 */
export const textRule =
  'must not contain control characters other than tab, line feed and carriage return (U+0000-U+001F, U+007F-U+009F), nor lone surrogates';

/** C0 controls but tab, LF and CR; DEL; C1 controls. A regular expression: 3x a char loop. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is its job
const forbiddenChar = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/** The index of the first forbidden control character, or -1. */
export function forbiddenCharAt(text: string): number {
  return text.search(forbiddenChar);
}

/** Text that follows textRule (and so text PostgreSQL stores). */
export function isAcceptableText(text: string): boolean {
  return !forbiddenChar.test(text) && text.isWellFormed();
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
