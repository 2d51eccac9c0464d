import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import { publisherBenefits } from '../../members/index.ts';
import {
  findPartnerUser,
  getPartner,
  listPartnerKeys,
  type PartnerUser,
  verifyPartnerUser,
} from '../../partners/index.ts';
import { AppError, isAppError, limitAttempt } from '../../platform/index.ts';
import {
  partnerPeriods,
  type ReconcileOutcome,
  reconcile,
  statementPageLines,
} from '../../settlement/index.ts';
import { portalPasswordFailuresPerAddress, portalPasswordFailuresPerUser } from '../auth-limits.ts';
import { textChunks } from '../body.ts';
import { clientAddress } from '../client-address.ts';
import { statementResponse } from '../statement-response.ts';
import { uuidParam } from './finance.ts';
import { csrfField, type Html, layout, notice, portalNav } from './layout.ts';
import { type PageEnv, principalOfKind, startSession } from './session.ts';
import { formText } from './sign-in.ts';

const periodsShown = 31;

/**
 * The partner-portal user of a page, checked on every request (user and partner active). The
 * partner is the session's, never a path's: a portal page cannot show another partner's data.
 */
export async function pagePartnerUser(c: Context<PageEnv>): Promise<PartnerUser> {
  const principal = principalOfKind(c, 'partner');
  if (!principal) throw new AppError('unauthenticated', 'Sign in first.');
  const user = await findPartnerUser(c.get('services').db, principal.id);
  if (!user || user.partnerId !== principal.partnerId) {
    throw new AppError('unauthenticated', 'Sign in first.');
  }
  return user;
}

function signInForm(c: Context<PageEnv>, problem?: string): Html {
  const { t } = c.get('speaker');
  return html`<div class="card"><h1>${t('partnerSignIn.title')}</h1>${problem ? notice('error', problem) : ''}
    <form method="post" action="/portal/sign-in">${csrfField(c)}
      <label for="username">${t('partnerSignIn.username')}</label>
      <input id="username" name="username" autocomplete="username" required maxlength="64">
      <label for="password">${t('partnerSignIn.password')}</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="200">
      <button>${t('landing.signIn')}</button></form></div>`;
}

async function signIn(c: Context<PageEnv>): Promise<Response> {
  const username = (await formText(c, 'username')).toLowerCase();
  const password = await formText(c, 'password');
  const refused = new AppError('unauthenticated', 'The user name or password is wrong.');
  const limits = [
    { policy: portalPasswordFailuresPerAddress, subject: clientAddress(c) },
    { policy: portalPasswordFailuresPerUser, subject: username.slice(0, 64) },
  ];
  try {
    const user = await limitAttempt(
      c.get('services'),
      limits,
      async () =>
        (await verifyPartnerUser(c.get('services').db, { username, password })) ??
        Promise.reject(refused),
      {
        isFailure: (error) => error === refused,
        detail: () => 'Too many wrong passwords; wait before trying again.',
      },
    );
    await startSession(c, { kind: 'partner', id: user.id, partnerId: user.partnerId });
    return c.redirect('/portal', 303);
  } catch (error) {
    if (!isAppError(error) || error.status >= 500) throw error;
    const title = c.get('speaker').t('partnerSignIn.title');
    return c.html(layout(c, { title, body: signInForm(c, error.message) }), error.status as 401);
  }
}

function outcomeCard(c: Context<PageEnv>, outcome: ReconcileOutcome): Html {
  const { t } = c.get('speaker');
  const differ =
    outcome.counts.missingAtHub + outcome.counts.missingAtPartner + outcome.counts.mismatched;
  return html`<section class="card" data-testid="reconcile-outcome">${notice(differ === 0 ? 'ok' : 'error', t('portal.matched', { n: outcome.matched, m: differ }))}
    <ul class="plain">${outcome.missingAtHub.map((l) => html`<li>missing at hub: ${l.orderId} ${l.kind} ${l.points}</li>`)}
    ${outcome.missingAtPartner.map((l) => html`<li>missing in your file: ${l.orderId} ${l.kind} ${l.points}</li>`)}
    ${outcome.mismatched.map((m) => html`<li>differs: ${m.orderId} ${m.kind}</li>`)}</ul></section>`;
}

async function statementsPage(c: Context<PageEnv>, outcome?: ReconcileOutcome): Promise<Response> {
  const user = await pagePartnerUser(c);
  const s = c.get('speaker');
  const db = c.get('services').db;
  const [partner, periods] = await Promise.all([
    getPartner(db, user.partnerId),
    partnerPeriods(db, user.partnerId, periodsShown),
  ]);
  const rows = periods.map(
    (
      p,
    ) => html`<tr><td>${p.localDate}</td><td>${p.status}</td><td class="num">${s.cny(p.netMinor)}</td>
      <td><a href="/portal/statements/${p.periodId}/csv" download>${s.t('portal.download')}</a></td>
      <td><form method="post" action="/portal/reconcile/${p.periodId}" enctype="multipart/form-data">${csrfField(c)}
        <label for="file-${p.periodId}">${s.t('portal.reconcileFile')}</label>
        <input id="file-${p.periodId}" type="file" name="file" accept=".csv,text/csv" required>
        <button class="secondary">${s.t('portal.upload')}</button></form></td></tr>`,
  );
  const body = html`<h1>${partner.brand}: ${s.t('portal.statements')}</h1>${outcome ? outcomeCard(c, outcome) : ''}
    <section class="card scroll"><table><thead><tr><th>${s.t('table.date')}</th><th>${s.t('table.status')}</th>
    <th class="num">${s.t('finance.net')}</th><th>CSV</th><th>${s.t('portal.reconcile')}</th></tr></thead>
    <tbody>${rows}</tbody></table></section>`;
  return c.html(layout(c, { title: s.t('portal.statements'), nav: portalNav, body }));
}

async function keysPage(c: Context<PageEnv>): Promise<Response> {
  const user = await pagePartnerUser(c);
  const s = c.get('speaker');
  const keys = await listPartnerKeys(c.get('services').db, user.partnerId);
  const body = html`<h1>${s.t('portal.keys')}</h1><section class="card"><ul class="plain">${keys.map(
    (k) =>
      html`<li><code>${k.kid}</code> ${k.alg} · ${k.status} · ${s.dateTime(k.created_at)}</li>`,
  )}</ul></section>`;
  return c.html(layout(c, { title: s.t('portal.keys'), nav: portalNav, body }));
}

async function benefitsPage(c: Context<PageEnv>): Promise<Response> {
  const user = await pagePartnerUser(c);
  const s = c.get('speaker');
  const benefits = await publisherBenefits(c.get('services').db, user.partnerId);
  const body = html`<h1>${s.t('portal.benefits')}</h1><section class="card"><ul class="plain">${benefits.map(
    (b) =>
      html`<li><strong>${b.title}</strong> <span class="badge">${b.kind}</span><br><span class="muted">${b.description}</span></li>`,
  )}</ul></section>`;
  return c.html(layout(c, { title: s.t('portal.benefits'), nav: portalNav, body }));
}

export function registerPortal(app: Hono<PageEnv>): void {
  app.get('/portal/sign-in', (c) =>
    c.html(layout(c, { title: c.get('speaker').t('partnerSignIn.title'), body: signInForm(c) })),
  );
  app.post('/portal/sign-in', signIn);
  app.get('/portal', (c) => statementsPage(c));
  app.get('/portal/statements/:periodId/csv', async (c) => {
    const user = await pagePartnerUser(c);
    const input = { periodId: uuidParam(c, 'periodId'), partnerId: user.partnerId };
    return statementResponse(c, c.get('services'), {
      ...input,
      format: 'csv',
      limit: statementPageLines,
    });
  });
  app.post('/portal/reconcile/:periodId', async (c) => {
    const user = await pagePartnerUser(c);
    const file = (await c.req.parseBody()).file;
    if (!(file instanceof File)) {
      throw new AppError('validation_failed', 'Choose a CSV file.', {
        fields: [{ field: 'file', reason: 'a CSV file' }],
      });
    }
    const outcome = await reconcile(c.get('services').db, {
      periodId: uuidParam(c, 'periodId'),
      partnerId: user.partnerId,
      file: textChunks(file.stream()),
    });
    return statementsPage(c, outcome);
  });
  app.get('/portal/keys', keysPage);
  app.get('/portal/benefits', benefitsPage);
}
