import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { AppError, type Db, newId } from '../platform/index.ts';

/**
 * The partner portal's users: a partner's own staff, with a user name and a password the hub
 * issues (npm run partner -- add-user). Passwords are hashed with scrypt (node:crypto), with
 * a salt per user and the cost written into the hash, so the cost can rise later without
 * locking anyone out.
 */

export type PartnerUser = { id: string; partnerId: string; username: string };

const cost = { N: 16_384, r: 8, p: 1 } as const;
const keyBytes = 32;
/** scrypt with N=16384, r=8 needs 16 MiB; the default ceiling is 32 MiB. */
const maxmem = 64 * 1024 * 1024;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyBytes, { ...options, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, cost);
  return [
    'scrypt',
    cost.N,
    cost.r,
    cost.p,
    salt.toString('base64url'),
    key.toString('base64url'),
  ].join('$');
}

export async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A hash to compare against when the user name is unknown, so both cases take as long. */
const decoyHash = hashPassword(randomBytes(16).toString('hex'));

export const usernamePattern = /^[a-z0-9][a-z0-9._-]{2,63}$/;

/** A new portal user for the partner, with a generated password shown once to the caller. */
export async function createPartnerUser(
  db: Db,
  input: { partnerId: string; username: string; password?: string },
): Promise<{ user: PartnerUser; password: string }> {
  if (!usernamePattern.test(input.username)) {
    throw new AppError('validation_failed', 'A user name is 3 to 64 of a-z, 0-9, ".", "_", "-".', {
      fields: [{ field: 'username', reason: 'a-z, 0-9, ".", "_", "-"; 3 to 64' }],
    });
  }
  const password = input.password ?? randomBytes(18).toString('base64url');
  const inserted = await db
    .insertInto('partner_users')
    .values({
      id: newId(),
      partner_id: input.partnerId,
      username: input.username,
      password_hash: await hashPassword(password),
    })
    .onConflict((oc) => oc.column('username').doNothing())
    .returning(['id', 'partner_id', 'username'])
    .executeTakeFirst();
  if (!inserted) throw new AppError('conflict', `The user name "${input.username}" is taken.`);
  return {
    user: { id: inserted.id, partnerId: inserted.partner_id, username: inserted.username },
    password,
  };
}

function activeUsers(db: Db) {
  return db
    .selectFrom('partner_users as u')
    .innerJoin('partners as p', 'p.id', 'u.partner_id')
    .select(['u.id', 'u.partner_id', 'u.username', 'u.password_hash'])
    .where('u.status', '=', 'active')
    .where('p.status', '=', 'active');
}

/** The user whose name and password these are: active, of an active partner; else undefined. */
export async function verifyPartnerUser(
  db: Db,
  input: { username: string; password: string },
): Promise<PartnerUser | undefined> {
  const row = usernamePattern.test(input.username)
    ? await activeUsers(db).where('u.username', '=', input.username).executeTakeFirst()
    : undefined;
  const matches = await passwordMatches(input.password, row?.password_hash ?? (await decoyHash));
  return row && matches
    ? { id: row.id, partnerId: row.partner_id, username: row.username }
    : undefined;
}

/** A portal session's user, while the user and the partner are active. */
export async function findPartnerUser(db: Db, id: string): Promise<PartnerUser | undefined> {
  const row = await activeUsers(db).where('u.id', '=', id).executeTakeFirst();
  return row && { id: row.id, partnerId: row.partner_id, username: row.username };
}
