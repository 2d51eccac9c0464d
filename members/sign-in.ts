import { createHash, randomBytes, randomInt } from 'node:crypto';
import { errors as joseErrors } from 'jose';
import {
  AppError,
  type Db,
  enforceLimits,
  giveBackLimits,
  isAppError,
  isUuid,
  type Limit,
  limitAttempt,
  limitPolicy,
  newId,
  redisKey,
  type Services,
} from '../platform/index.ts';
import { maskContact, parseContact } from './contact.ts';
import { enrolMember, findMemberByEmail, findMemberByPhone, type MemberDeps } from './members.ts';

/**
 * Member sign-in by a one-time code sent to the member's phone or email. The code is six
 * digits, kept in Redis only as a salted hash, valid five minutes, and dies after a few wrong
 * tries. A good code gives a short-lived session: a JWT signed by the hub, audience "member".
 */

export const signInCodeTtlMs = 5 * 60_000;
/** Tries one code allows, counted atomically with the code itself (checkCodeScript). */
export const signInAttemptsMax = 5;
/**
 * Codes one contact may ask for per hour: with the attempts limit, 25 guesses an hour at a
 * contact in the long run (the limiter lets the five come at once, then one every 12 minutes).
 */
export const signInRequestsPerHourMax = 5;
/** Codes one client address may ask for per hour, whatever the contacts (SMS pumping). */
export const signInRequestsPerAddressMax = 30;
/** Wrong codes one client address may present per hour, across every contact. */
export const signInFailuresPerAddressMax = 30;
const hourMs = 3_600_000;

// All three fail closed: without Redis there is no code to send or check either, and an
// unthrottled caller could guess codes or run up the SMS bill.
const codesPerContact = limitPolicy({
  name: 'signin-codes-contact',
  limit: signInRequestsPerHourMax,
  windowMs: hourMs,
  whenUnavailable: 'closed',
});
const codesPerAddress = limitPolicy({
  name: 'signin-codes-address',
  limit: signInRequestsPerAddressMax,
  windowMs: hourMs,
  whenUnavailable: 'closed',
});
const failuresPerAddress = limitPolicy({
  name: 'signin-failures-address',
  limit: signInFailuresPerAddressMax,
  windowMs: hourMs,
  whenUnavailable: 'closed',
});

/** Who asks, for the limits per client address (the gateway's clientAddress). */
export type SignInCaller = { clientAddress: string };
export const memberSessionTtlSeconds = 15 * 60;
export const memberAudience = 'member';

export type SignInMessage = {
  channel: 'sms' | 'email';
  to: string;
  memberId: string | null;
  code: string;
  expiresAt: Date;
};

/**
 * How codes reach people: an SMS or email gateway that the operator plugs in, or in demo mode
 * the outbox. Without one, sign-in refuses rather than keep codes anywhere readable.
 */
export type SignInCodeSender = { send(message: SignInMessage): Promise<void> };

/**
 * The demo's sender: every message lands in the member_outbox table, which
 * /v1/dev/member-outbox shows. Only for demo mode (HUB_DEMO=1), which runs on loopback only.
 */
export function outboxSender(deps: MemberDeps): SignInCodeSender {
  return {
    send: async (message) => {
      const minutes = Math.round(
        (message.expiresAt.getTime() - deps.clock.now().getTime()) / 60_000,
      );
      await deps.db
        .insertInto('member_outbox')
        .values({
          id: newId(),
          member_id: message.memberId,
          channel: message.channel,
          recipient: message.to,
          subject: 'Your alliance sign-in code',
          body: `Your sign-in code is ${message.code}. It expires in ${minutes} minutes.`,
          created_at: deps.clock.now(),
        })
        .execute();
    },
  };
}

export type OutboxMessage = {
  id: string;
  channel: 'sms' | 'email';
  recipient: string;
  subject: string;
  body: string;
  createdAt: Date;
};

export async function readOutbox(
  db: Db,
  options: { recipient?: string; limit?: number } = {},
): Promise<OutboxMessage[]> {
  let query = db.selectFrom('member_outbox').selectAll();
  if (options.recipient !== undefined) query = query.where('recipient', '=', options.recipient);
  const rows = await query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(Math.min(options.limit ?? 20, 100))
    .execute();
  return rows.map((r) => ({
    id: r.id,
    channel: r.channel,
    recipient: r.recipient,
    subject: r.subject,
    body: r.body,
    createdAt: r.created_at,
  }));
}

type RedisDeps = Pick<Services, 'db' | 'clock' | 'redis' | 'config' | 'logger'>;
type SessionDeps = RedisDeps & Pick<Services, 'hubSigner'>;

export type ContactInput = { phone?: string | null; email?: string | null };

function oneContact(input: ContactInput): { channel: 'sms' | 'email'; value: string } {
  const contact = parseContact(input);
  if (contact.phone && contact.email) {
    throw new AppError('validation_failed', 'Give a phone or an email, not both.', {
      fields: [{ field: 'email', reason: 'give one contact' }],
    });
  }
  return contact.phone
    ? { channel: 'sms', value: contact.phone }
    : { channel: 'email', value: contact.email ?? '' };
}

async function memberByContact(db: Db, channel: 'sms' | 'email', value: string) {
  return channel === 'sms' ? findMemberByPhone(db, value) : findMemberByEmail(db, value);
}

/** Redis keys name the contact by a digest, so phone numbers and emails are not key names. */
function contactKey(contact: string): string {
  return createHash('sha256').update(contact).digest('hex').slice(0, 32);
}

function hashCode(salt: string, code: string): string {
  return createHash('sha256').update(`${salt}:${code}`).digest('hex');
}

/**
 * Sends a sign-in code to the contact. It answers the same whether or not the contact belongs
 * to a member (a code to a newcomer lets them enrol), so it tells nobody who is a member.
 */
export async function requestSignInCode(
  deps: RedisDeps,
  sender: SignInCodeSender | undefined,
  input: ContactInput,
  caller: SignInCaller,
): Promise<{ sentTo: string; channel: 'sms' | 'email'; expiresAt: Date }> {
  const contact = oneContact(input);
  // Refused before the limits count and before any code exists: nothing is spent or kept.
  if (!sender) {
    throw new AppError(
      'unavailable',
      'No message sender is configured: sign-in codes cannot be sent.',
      { extra: { reason: 'no_message_sender' } },
    );
  }
  const limits: Limit[] = [
    { policy: codesPerContact, subject: contactKey(contact.value) },
    { policy: codesPerAddress, subject: caller.clientAddress },
  ];
  // Checked before anything is written, so a refused request leaves the current code alive.
  await enforceLimits(deps, limits, (refusedBy) =>
    refusedBy === codesPerContact
      ? 'Too many sign-in codes asked for this contact.'
      : 'Too many sign-in codes asked for from this address.',
  );
  try {
    return await sendNewCode(deps, sender, contact);
  } catch (error) {
    // A code that was not sent does not count against anyone.
    await giveBackLimits(deps, limits);
    throw error;
  }
}

async function sendNewCode(
  deps: RedisDeps,
  sender: SignInCodeSender,
  contact: { channel: 'sms' | 'email'; value: string },
): Promise<{ sentTo: string; channel: 'sms' | 'email'; expiresAt: Date }> {
  const member = await memberByContact(deps.db, contact.channel, contact.value);
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const salt = randomBytes(16).toString('hex');
  const expiresAt = new Date(deps.clock.now().getTime() + signInCodeTtlMs);
  const key = redisKey(deps.config, 'member', 'signin-code', contactKey(contact.value));
  // A new code replaces the previous one, attempts and all.
  await deps.redis
    .multi()
    .del(key)
    .hset(key, {
      hash: hashCode(salt, code),
      salt,
      attempts: 0,
      expiresAtMs: expiresAt.getTime(),
    })
    .pexpire(key, signInCodeTtlMs + signInCodeKeptAfterExpiryMs)
    .exec();
  await sender.send({
    channel: contact.channel,
    to: contact.value,
    memberId: member?.id ?? null,
    code,
    expiresAt,
  });
  return { sentTo: maskContact(contact.value), channel: contact.channel, expiresAt };
}

/**
 * How long a code's record outlives the code: a used, expired or exhausted code is answered
 * with what happened to it (code_used, code_expired, too_many_attempts) for this long, and
 * only then as never sent. One small hash per contact, bounded by the request limits.
 */
export const signInCodeKeptAfterExpiryMs = 60 * 60_000;

// Checks one guess atomically. A right code is marked used (when ARGV[5] is '1') and kept, so
// that it is refused as used until it expires; a right code not used (a newcomer who did not
// ask to enrol) stays as it was, tries and all. A wrong one counts. Expired, used and
// exhausted codes are told apart from codes never sent. Returns {outcome, attemptsLeft}.
const checkCodeScript = `
local stored = redis.call('HMGET', KEYS[1], 'hash', 'salt', 'attempts', 'expiresAtMs', 'used')
if not stored[1] then return {'not_sent', 0} end
if tonumber(stored[4]) <= tonumber(ARGV[1]) then return {'expired', 0} end
if stored[5] == '1' then return {'used', 0} end
if tonumber(stored[3]) >= tonumber(ARGV[4]) then return {'locked', 0} end
if stored[2] ~= ARGV[3] then return {'replaced', 0} end
if stored[1] == ARGV[2] then
  if ARGV[5] == '1' then redis.call('HSET', KEYS[1], 'used', '1') end
  return {'ok', 0}
end
local left = tonumber(ARGV[4]) - redis.call('HINCRBY', KEYS[1], 'attempts', 1)
if left <= 0 then return {'locked', 0} end
return {'wrong', left}
`;

// Gives a used code back (the sign-in it was used for failed after the check), unless a new
// code has replaced it meanwhile.
const releaseCodeScript = `
if redis.call('HGET', KEYS[1], 'salt') == ARGV[1] then redis.call('HDEL', KEYS[1], 'used') end
return 0
`;

export type SignInResult = {
  token: string;
  expiresAt: Date;
  memberId: string;
  /** The member joined with this sign-in. */
  enrolled: boolean;
};

/**
 * Checks the code; on success issues a session. A contact that belongs to no member enrols
 * when `enrol` is given (the code proves the contact is theirs).
 */
export async function verifySignInCode(
  deps: SessionDeps,
  input: ContactInput & {
    code: string;
    enrol?: { displayName?: string; consents?: { marketing?: boolean; partnerSharing?: boolean } };
  },
  caller: SignInCaller,
): Promise<SignInResult> {
  const contact = oneContact(input);
  if (!/^[0-9]{6}$/.test(input.code)) {
    throw new AppError('validation_failed', 'The code is six digits.', {
      fields: [{ field: 'code', reason: 'six digits' }],
    });
  }
  // Who the contact belongs to decides whether a right code is used up: a newcomer who did not
  // ask to enrol keeps it, to enrol with it next. What the answer tells depends on the code
  // first, so a wrong code says nothing about membership.
  const member = await memberByContact(deps.db, contact.channel, contact.value);
  const use = member !== undefined || input.enrol !== undefined;
  // The address's attempt is taken before the code is looked at, so a refused request leaves
  // the code and its tries untouched; a right code gives the attempt back.
  const checked = await limitAttempt(
    deps,
    [{ policy: failuresPerAddress, subject: caller.clientAddress }],
    () => checkCode(deps, contact.value, input.code, use),
    {
      isFailure: (error) => isAppError(error) && error.type === 'unauthenticated',
      detail: () => 'Too many wrong sign-in codes from this address; wait before trying again.',
    },
  );
  if (member)
    return { ...(await issueMemberSession(deps, member.id)), memberId: member.id, enrolled: false };
  if (!input.enrol) {
    throw new AppError(
      'not_found',
      'No membership for this contact: send the same code again with enrol to join.',
      { extra: { reason: 'enrol_required' } },
    );
  }
  const joined = await enrolMember(deps, {
    phone: contact.channel === 'sms' ? contact.value : null,
    email: contact.channel === 'email' ? contact.value : null,
    ...input.enrol,
  }).catch(async (error: unknown) => {
    // Nobody signed in with it: the code may be used again (a corrected name, say).
    await releaseCode(deps, checked);
    throw error;
  });
  const session = await issueMemberSession(deps, joined.id);
  return { ...session, memberId: joined.id, enrolled: true };
}

type CheckedCode = { key: string; salt: string };

/**
 * One guess at the contact's code; throws unauthenticated unless it is right. A right code is
 * marked used when `use` is true. A new code sent between reading the salt and checking is
 * checked again against the new one (the person may have typed either).
 */
async function checkCode(
  deps: RedisDeps,
  contact: string,
  code: string,
  use: boolean,
): Promise<CheckedCode> {
  const key = redisKey(deps.config, 'member', 'signin-code', contactKey(contact));
  for (let read = 0; ; read++) {
    const salt = (await deps.redis.hget(key, 'salt')) ?? '';
    const [outcome, left] = (await deps.redis.eval(
      checkCodeScript,
      1,
      key,
      String(deps.clock.now().getTime()),
      hashCode(salt, code),
      salt,
      String(signInAttemptsMax),
      use ? '1' : '0',
    )) as [string, number];
    if (outcome === 'ok') return { key, salt };
    if (outcome !== 'replaced' || read >= 1) throw signInRefusal(outcome, left);
  }
}

async function releaseCode(deps: RedisDeps, checked: CheckedCode): Promise<void> {
  await deps.redis.eval(releaseCodeScript, 1, checked.key, checked.salt);
}

const refusals: Record<string, { detail: string; reason: string }> = {
  locked: { detail: 'Too many wrong codes: ask for a new one.', reason: 'too_many_attempts' },
  used: { detail: 'The code has been used: ask for a new one.', reason: 'code_used' },
  expired: { detail: 'The code has expired: ask for a new one.', reason: 'code_expired' },
};

function signInRefusal(outcome: string, attemptsLeft: number): AppError {
  if (outcome === 'wrong') {
    return new AppError('unauthenticated', 'The code is wrong.', {
      extra: { reason: 'code_wrong', attemptsLeft },
    });
  }
  const known = refusals[outcome];
  if (known) {
    const extra =
      outcome === 'locked' ? { reason: known.reason, attemptsLeft: 0 } : { reason: known.reason };
    return new AppError('unauthenticated', known.detail, { extra });
  }
  // Never sent, or long gone; a code replaced twice while being checked reads the same.
  return new AppError('unauthenticated', 'No code was sent to this contact lately: ask for one.', {
    extra: { reason: 'code_not_sent' },
  });
}

export async function issueMemberSession(
  deps: Pick<Services, 'clock' | 'hubSigner'>,
  memberId: string,
): Promise<{ token: string; expiresAt: Date }> {
  const now = deps.clock.now();
  const token = await deps.hubSigner.signJwt(
    {},
    { subject: memberId, audience: memberAudience, expiresInSeconds: memberSessionTtlSeconds, now },
  );
  const expiresAt = new Date((Math.floor(now.getTime() / 1000) + memberSessionTtlSeconds) * 1000);
  return { token, expiresAt };
}

/**
 * The member a session token speaks for: signed by the hub, for the member audience, not
 * expired, and the membership still open. Anything else is unauthenticated, with a reason:
 * `session_invalid` (not a session the hub issued for members: what a forger sends),
 * `session_expired` or `membership_closed` (a genuine session, no longer good).
 */
export async function verifyMemberSession(
  deps: Pick<Services, 'db' | 'clock' | 'hubSigner'>,
  token: string,
): Promise<string> {
  let subject: string | undefined;
  try {
    const payload = await deps.hubSigner.verifyJwt(token, {
      audience: memberAudience,
      now: deps.clock.now(),
    });
    subject = payload.sub;
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) {
      throw new AppError('unauthenticated', 'The session has expired: sign in again.', {
        extra: { reason: 'session_expired' },
      });
    }
    throw invalidSession();
  }
  if (!subject || !isUuid(subject)) throw invalidSession();
  const member = await deps.db
    .selectFrom('members')
    .select('status')
    .where('id', '=', subject)
    .executeTakeFirst();
  if (member?.status !== 'active') {
    throw new AppError('unauthenticated', 'The membership is closed.', {
      extra: { reason: 'membership_closed' },
    });
  }
  return subject;
}

function invalidSession(): AppError {
  return new AppError('unauthenticated', 'The session is not valid.', {
    extra: { reason: 'session_invalid' },
  });
}
