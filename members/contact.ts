import { AppError } from '../platform/index.ts';

/**
 * Contact details are stored in one normal form so that uniqueness means what a person means:
 * phones in E.164 ("+8613800000001"), emails trimmed and lower-cased.
 */

const e164 = /^\+[1-9][0-9]{6,14}$/;
/** A mainland China mobile number without its country code: the alliance's home market. */
const mainlandMobile = /^1[3-9][0-9]{9}$/;

/** Returns the E.164 form, or null when the text is not a phone number we can place. */
export function normalisePhone(input: string): string | null {
  let s = input.trim().replace(/[\s\-().]/g, '');
  if (s.startsWith('00')) s = `+${s.slice(2)}`;
  if (s.startsWith('+')) return e164.test(s) ? s : null;
  if (mainlandMobile.test(s)) return `+86${s}`;
  return null;
}

const emailShape = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;

export function normaliseEmail(input: string): string | null {
  const s = input.trim().toLowerCase();
  return s.length <= 254 && emailShape.test(s) ? s : null;
}

export type Contact = { phone: string | null; email: string | null };

/** Normalises both; bad input is a validation error naming the field. At least one is needed. */
export function parseContact(
  input: { phone?: string | null; email?: string | null },
  options: { required?: boolean } = {},
): Contact {
  const fields: { field: string; reason: string }[] = [];
  let phone: string | null = null;
  let email: string | null = null;
  if (input.phone !== undefined && input.phone !== null && input.phone !== '') {
    phone = normalisePhone(input.phone);
    if (!phone) fields.push({ field: 'phone', reason: 'not a phone number (E.164 expected)' });
  }
  if (input.email !== undefined && input.email !== null && input.email !== '') {
    email = normaliseEmail(input.email);
    if (!email) fields.push({ field: 'email', reason: 'not an email address' });
  }
  if (fields.length === 0 && options.required !== false && !phone && !email) {
    fields.push({ field: 'phone', reason: 'a phone or an email is required' });
  }
  if (fields.length > 0) {
    throw new AppError('validation_failed', 'The contact details are not valid.', { fields });
  }
  return { phone, email };
}

/** Shows enough of a contact for a person to recognise it, not enough to use it. */
export function maskContact(contact: string): string {
  if (contact.includes('@')) {
    const [local = '', domain = ''] = contact.split('@');
    return `${local.slice(0, 1)}***@${domain}`;
  }
  return `${contact.slice(0, 4)}****${contact.slice(-4)}`;
}

/**
 * A brand's customer id as the member's own view shows it: the last four characters (at most
 * half of it), enough to tell two cards apart; the rest could be a card number that pays.
 */
export function maskCustomerId(customerId: string): string {
  const shown = Math.min(4, Math.floor(customerId.length / 2));
  return `${'*'.repeat(customerId.length - shown)}${customerId.slice(customerId.length - shown)}`;
}
