import { createHash, randomBytes } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { AppError, type Db, newId, type Staff } from '../platform/index.ts';
import { limitStaffTokenChecks } from './auth-limits.ts';
import type { StaffEnv } from './context.ts';

/**
 * Staff of the hub operator (admin, finance) authenticate with API tokens: 32 random bytes,
 * shown once when issued; only their SHA-256 is stored, so the table cannot be used to sign in.
 */

export type StaffRole = Staff['role'];
export const staffRoles: readonly StaffRole[] = ['admin', 'finance'];
const tokenPrefix = 'hst_';

function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function issueStaffToken(db: Db, staffId: string): Promise<string> {
  const token = `${tokenPrefix}${randomBytes(32).toString('base64url')}`;
  await db
    .insertInto('staff_tokens')
    .values({ id: newId(), staff_id: staffId, token_sha256: tokenHash(token) })
    .execute();
  return token;
}

/** A staff member and a first token (printed once by the CLI). */
export async function createStaff(
  db: Db,
  input: { name: string; role: StaffRole },
): Promise<{ staff: Staff; token: string }> {
  const existing = await db
    .selectFrom('staff')
    .select('id')
    .where('name', '=', input.name)
    .executeTakeFirst();
  if (existing) throw new AppError('conflict', `A staff member "${input.name}" already exists.`);
  const staff = await db
    .insertInto('staff')
    .values({ id: newId(), name: input.name, role: input.role })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { staff, token: await issueStaffToken(db, staff.id) };
}

export async function revokeStaffTokens(db: Db, staffId: string, at: Date): Promise<void> {
  await db
    .updateTable('staff_tokens')
    .set({ revoked_at: at })
    .where('staff_id', '=', staffId)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function findStaffByToken(db: Db, token: string): Promise<Staff | undefined> {
  return (await findStaffToken(db, token))?.staff;
}

/** A token's staff member and the token's own id (a page session is bound to the token). */
export async function findStaffToken(
  db: Db,
  token: string,
): Promise<{ staff: Staff; tokenId: string } | undefined> {
  if (!token.startsWith(tokenPrefix) || token.length > 100) return undefined;
  const row = await db
    .selectFrom('staff_tokens')
    .innerJoin('staff', 'staff.id', 'staff_tokens.staff_id')
    .selectAll('staff')
    .select('staff_tokens.id as token_id')
    .where('staff_tokens.token_sha256', '=', tokenHash(token))
    .where('staff_tokens.revoked_at', 'is', null)
    .where('staff.status', '=', 'active')
    .executeTakeFirst();
  if (!row) return undefined;
  const { token_id, ...staff } = row;
  return { staff, tokenId: token_id };
}

/** The staff member of a page session, while its token is unrevoked and the member active. */
export async function findStaffByTokenId(db: Db, tokenId: string): Promise<Staff | undefined> {
  return db
    .selectFrom('staff_tokens')
    .innerJoin('staff', 'staff.id', 'staff_tokens.staff_id')
    .selectAll('staff')
    .where('staff_tokens.id', '=', tokenId)
    .where('staff_tokens.revoked_at', 'is', null)
    .where('staff.status', '=', 'active')
    .executeTakeFirst();
}

const staffTokenRequired = () =>
  new AppError('unauthenticated', 'A valid staff token is required.');

/**
 * Requires a bearer token of an active staff member holding one of the roles. Tokens that
 * fail the check are limited per client address (gateway/auth-limits.ts).
 */
export function requireStaff(...roles: StaffRole[]): MiddlewareHandler<StaffEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const token = /^Bearer (\S+)$/.exec(header)?.[1];
    if (!token) throw staffTokenRequired();
    const staff = await limitStaffTokenChecks(c, async () => {
      const found = await findStaffByToken(c.get('services').db, token);
      if (!found) throw staffTokenRequired();
      return found;
    });
    if (!roles.includes(staff.role)) {
      throw new AppError('forbidden', `This needs the role ${roles.join(' or ')}.`);
    }
    c.set('staff', staff);
    c.set('logger', c.get('logger').child({ staffId: staff.id }));
    await next();
  };
}

/** Staff names by id, for pages that say who approved or changed what. */
export async function staffNames(db: Db, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('staff').select(['id', 'name']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}
