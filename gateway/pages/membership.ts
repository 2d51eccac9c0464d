import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import {
  cancelPaidMembership,
  listPaidPlans,
  paidStatus,
  planFeeFor,
  startTrial,
} from '../../members/index.ts';
import { csrfField, layout, memberNav } from './layout.ts';
import { pageMember } from './member.ts';
import type { PageEnv } from './session.ts';
import { formText } from './sign-in.ts';

/**
 * The paid super-membership: the offer at this member's tier's price, the trial, and
 * cancelling renewal; the same members/ functions as /v1/me/paid-membership.
 */
async function membershipPage(c: Context<PageEnv>): Promise<Response> {
  const member = await pageMember(c);
  const s = c.get('speaker');
  const services = c.get('services');
  const [status, plans] = await Promise.all([
    paidStatus(services, member.id),
    listPaidPlans(services.db, { soldOnly: true }),
  ]);
  const running = status.status === 'trial' || status.status === 'active';
  const offers = plans.map(
    (
      p,
    ) => html`<li><p data-testid="offer">${s.t('paid.offer', { plan: p.name, price: s.cny(planFeeFor(p, member.tierCode)), months: p.termMonths })}</p>
      ${
        !running && !status.trialUsed
          ? html`<form method="post" action="/me/membership/trial">${csrfField(c)}<input type="hidden" name="planCode" value="${p.code}"><button>${s.t('paid.trial')}</button></form>`
          : ''
      }</li>`,
  );
  const body = html`<h1>${s.t('paid.title')}</h1>
    <section class="card"><h2>${s.t('paid.status')}</h2>
      <p data-testid="paid-status">${s.t(`paid.state.${status.status}`)}${status.plan ? ` · ${status.plan.name}` : ''}</p>
      ${status.paidThrough ? html`<p>${s.t('paid.through', { date: s.date(status.paidThrough) })}</p>` : ''}
      ${status.trialUsed && !running ? html`<p class="muted">${s.t('paid.trialUsed')}</p>` : ''}
      ${running ? html`<form method="post" action="/me/membership/cancel">${csrfField(c)}<button class="secondary">${s.t('paid.cancel')}</button></form>` : ''}
    </section>
    <section class="card"><ul class="plain">${offers}</ul></section>`;
  return c.html(layout(c, { title: s.t('paid.title'), nav: memberNav, body }));
}

export function registerMembership(app: Hono<PageEnv>): void {
  app.get('/me/membership', membershipPage);
  app.post('/me/membership/trial', async (c) => {
    const member = await pageMember(c);
    const planCode = await formText(c, 'planCode');
    await startTrial(c.get('services'), { memberId: member.id, planCode });
    return c.redirect('/me/membership', 303);
  });
  app.post('/me/membership/cancel', async (c) => {
    const member = await pageMember(c);
    await cancelPaidMembership(c.get('services'), member.id);
    return c.redirect('/me/membership', 303);
  });
}
