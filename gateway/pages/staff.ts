import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import { AppError, type Staff } from '../../platform/index.ts';
import { limitStaffTokenChecks } from '../auth-limits.ts';
import { findStaffByTokenId, findStaffToken, type StaffRole } from '../staff.ts';
import { csrfField, type Html, layout, notice } from './layout.ts';
import { type PageEnv, principalOfKind, startSession } from './session.ts';
import { formText } from './sign-in.ts';

/**
 * The staff member of a page, with one of the roles: the session is bound to the staff token
 * it was opened with, so revoking the token (npm run staff -- revoke) ends the session too.
 */
export async function pageStaff(c: Context<PageEnv>, role: StaffRole): Promise<Staff> {
  const principal = principalOfKind(c, 'staff');
  if (!principal) throw new AppError('unauthenticated', 'Sign in first.');
  const staff = await findStaffByTokenId(c.get('services').db, principal.tokenId);
  if (!staff || staff.id !== principal.id) throw new AppError('unauthenticated', 'Sign in first.');
  if (staff.role !== role) throw new AppError('forbidden', `This needs the role ${role}.`);
  return staff;
}

function staffForm(c: Context<PageEnv>, problem?: string): Html {
  const { t } = c.get('speaker');
  return html`<div class="card"><h1>${t('staffSignIn.title')}</h1>
    ${problem ? notice('error', problem) : ''}
    <form method="post" action="/staff/sign-in">${csrfField(c)}
      <label for="token">${t('staffSignIn.token')}</label>
      <input id="token" name="token" type="password" autocomplete="current-password" required maxlength="100" aria-describedby="token-help">
      <p id="token-help" class="muted">${t('staffSignIn.help')}</p>
      <button>${t('landing.signIn')}</button>
    </form></div>`;
}

/**
 * Staff sign in with their API token once; the page session that follows is bound to that
 * token. Wrong tokens count against the same per-address limit as the API's.
 */
export function registerStaffSignIn(app: Hono<PageEnv>): void {
  app.get('/staff/sign-in', (c) =>
    c.html(layout(c, { title: c.get('speaker').t('staffSignIn.title'), body: staffForm(c) })),
  );
  app.post('/staff/sign-in', async (c) => {
    const token = await formText(c, 'token');
    const db = c.get('services').db;
    const found = await limitStaffTokenChecks(c, async () => {
      const match = await findStaffToken(db, token);
      if (!match) throw new AppError('unauthenticated', 'This token is not valid.');
      return match;
    }).catch((error: unknown) => {
      if (error instanceof AppError && error.type === 'unauthenticated') return undefined;
      throw error;
    });
    if (!found) {
      const body = staffForm(c, 'This token is not valid.');
      return c.html(layout(c, { title: c.get('speaker').t('staffSignIn.title'), body }), 401);
    }
    await startSession(c, { kind: 'staff', id: found.staff.id, tokenId: found.tokenId });
    return c.redirect(found.staff.role === 'finance' ? '/finance' : '/admin', 303);
  });
}
