import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import {
  normalisePhone,
  readOutbox,
  requestSignInCode,
  type SignInCodeSender,
  verifySignInCode,
} from '../../members/index.ts';
import { AppError, type Services } from '../../platform/index.ts';
import { clientAddress } from '../client-address.ts';
import { csrfField, type Html, layout, notice } from './layout.ts';
import { endSession, type PageEnv, startSession } from './session.ts';

/** A form field as text (absent or a file: empty). */
export async function formText(c: Context<PageEnv>, name: string): Promise<string> {
  const value = (await c.req.parseBody())[name];
  return typeof value === 'string' ? value.trim() : '';
}

function phoneForm(c: Context<PageEnv>, problem?: string): Html {
  const { t } = c.get('speaker');
  return html`<div class="card"><h1>${t('signIn.title')}</h1>
    ${problem ? notice('error', problem) : ''}
    <form method="post" action="/sign-in/code">${csrfField(c)}
      <label for="phone">${t('signIn.phone')}</label>
      <input id="phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" required maxlength="32" placeholder="+8613800000001">
      <button>${t('signIn.sendCode')}</button>
    </form></div>`;
}

function codeForm(c: Context<PageEnv>, phone: string, shown: string, demoCode?: string): Html {
  const { t } = c.get('speaker');
  return html`<div class="card"><h1>${t('signIn.title')}</h1>
    ${notice('ok', t('signIn.codeSent', { to: shown }))}
    ${demoCode ? html`<p class="muted" data-testid="demo-code">${t('signIn.demoCode', { code: demoCode })}</p>` : ''}
    <form method="post" action="/sign-in/session">${csrfField(c)}
      <input type="hidden" name="phone" value="${phone}">
      <label for="code">${t('signIn.code')}</label>
      <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required>
      <button>${t('signIn.submit')}</button>
    </form></div>`;
}

/** Demo mode only: the code the outbox sender just wrote, so the demo can be used alone. */
async function demoCodeFor(c: Context<PageEnv>, phone: string): Promise<string | undefined> {
  if (!c.get('demo')) return undefined;
  const normal = normalisePhone(phone);
  if (!normal) return undefined;
  const [latest] = await readOutbox(c.get('services').db, { recipient: normal, limit: 1 });
  return latest ? /\b(\d{6})\b/.exec(latest.body)?.[1] : undefined;
}

/** Member sign-in with a one-time code: the same use cases as /v1/member/sign-in/*. */
export function registerMemberSignIn(
  app: Hono<PageEnv>,
  senderFor: (services: Services) => SignInCodeSender | undefined,
): void {
  app.get('/sign-in', (c) =>
    c.html(layout(c, { title: c.get('speaker').t('signIn.title'), body: phoneForm(c) })),
  );
  app.post('/sign-in/code', async (c) => {
    const services = c.get('services');
    const phone = await formText(c, 'phone');
    try {
      const sent = await requestSignInCode(
        services,
        senderFor(services),
        { phone },
        { clientAddress: clientAddress(c) },
      );
      const body = codeForm(c, phone, sent.sentTo, await demoCodeFor(c, phone));
      return c.html(layout(c, { title: c.get('speaker').t('signIn.title'), body }));
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      const body = phoneForm(c, error.message);
      return c.html(layout(c, { title: c.get('speaker').t('signIn.title'), body }), 400);
    }
  });
  app.post('/sign-in/session', async (c) => {
    const phone = await formText(c, 'phone');
    const code = await formText(c, 'code');
    const session = await verifySignInCode(
      c.get('services'),
      { phone, code },
      { clientAddress: clientAddress(c) },
    );
    // A new session, with a new CSRF token: nothing from before the sign-in carries over.
    await startSession(c, { kind: 'member', id: session.memberId });
    return c.redirect('/me', 303);
  });
  app.post('/sign-out', async (c) => {
    const kind = c.get('session').principal?.kind;
    await endSession(c);
    const to = kind === 'staff' ? '/staff/sign-in' : kind === 'partner' ? '/portal/sign-in' : '/';
    return c.redirect(to, 303);
  });
}
