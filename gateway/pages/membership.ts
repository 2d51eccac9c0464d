import { randomUUID } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import type { PaidSavings } from '../../counter/index.ts';
import {
  buyPaidMembership,
  cancelPaidMembership,
  listPaidPlans,
  type MemberMessageView,
  type MemberProfile,
  memberMessages,
  type PaidStatusView,
  type PaymentView,
  type PlanView,
  paidStatus,
  paymentViews,
  planFeeFor,
  setAutoRenew,
  startTrial,
} from '../../members/index.ts';
import { AppError, isAppError } from '../../platform/index.ts';
import { paymentDeps } from '../member/paid.ts';
import type { Speaker } from './i18n.ts';
import { csrfField, type Html, layout, memberNav, notice } from './layout.ts';
import { pageMember } from './member.ts';
import type { PageEnv } from './session.ts';
import { formText } from './sign-in.ts';

/**
 * The paid super-membership: the offer at this member's tier's price, buying and renewing,
 * the trial, automatic renewal, cancelling, what it saved against its fees, payments and the
 * hub's messages. The same members/ and counter/ functions as /v1/me/paid-membership.
 */

/** What the page says above the cards after a form: a purchase's outcome or a refusal. */
type Outcome =
  | { kind: 'paid'; paymentId: string; again: boolean }
  | { kind: 'pending'; payment: PaymentView }
  | { kind: 'refused'; text: string };

type MembershipView = {
  member: MemberProfile;
  status: PaidStatusView;
  plans: PlanView[];
  payments: PaymentView[];
  messages: MemberMessageView[];
  savings: PaidSavings | null;
};

const paymentsShown = 20;
const messagesShown = 20;

async function loadView(c: Context<PageEnv>): Promise<MembershipView> {
  const member = await pageMember(c);
  const services = c.get('services');
  const [status, plans, payments, messages] = await Promise.all([
    paidStatus(services, member.id),
    listPaidPlans(services.db, { soldOnly: true }),
    paymentViews(services.db, { memberId: member.id, limit: paymentsShown }),
    memberMessages(services.db, member.id, messagesShown),
  ]);
  // As GET /v1/me/paid-membership's savedSoFar: since the continuous membership began.
  const savings =
    status.since && status.status !== 'none'
      ? await c.get('counter').paidSavings(member.id, status.since)
      : null;
  return { member, status, plans, payments, messages, savings };
}

/** A provider's page for a pending payment, as a link only when it is a web address. */
function safePayUrl(url: string | null): string | null {
  if (url === null) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
}

function outcomeNotice(s: Speaker, view: MembershipView, outcome: Outcome | undefined): Html {
  if (!outcome) return html``;
  if (outcome.kind === 'refused') return notice('error', outcome.text);
  if (outcome.kind === 'pending') {
    const href = safePayUrl(outcome.payment.payUrl);
    return html`<div class="notice ok" role="status" data-testid="purchase-pending">
      <p>${s.t('paid.pending', { amount: s.cny(outcome.payment.amountMinor) })}</p>
      ${href ? html`<p><a class="button" href="${href}" rel="noopener">${s.t('paid.payNow')}</a></p>` : ''}</div>`;
  }
  // The payment is looked up among this member's own: an id in the address shows nothing else.
  const payment = view.payments.find((p) => p.id === outcome.paymentId);
  if (!payment) return html``;
  const lines = [
    payment.term
      ? s.t('paid.bought', {
          amount: s.cny(payment.amountMinor),
          from: s.date(payment.term.startsAt),
          to: s.date(payment.term.endsAt),
        })
      : s.t(`paid.payment.${payment.status}`),
    outcome.again ? s.t('paid.notAgain') : '',
  ];
  return html`<div class="notice ${payment.status === 'failed' ? 'error' : 'ok'}" role="status" data-testid="purchase-outcome">
    ${lines.filter((l) => l !== '').map((l) => html`<p>${l}</p>`)}</div>`;
}

function renewalLines(c: Context<PageEnv>, status: PaidStatusView): Html {
  const s = c.get('speaker');
  const running = status.status === 'trial' || status.status === 'active';
  if (!running) return html``;
  const label = status.trial ? s.t('paid.convert') : s.t('paid.autoRenew');
  const next = status.nextCharge;
  return html`<p data-testid="auto-renew">${label}: <strong>${status.autoRenew ? s.t('paid.on') : s.t('paid.off')}</strong></p>
    ${next ? html`<p data-testid="next-charge">${s.t('paid.nextCharge', { amount: s.cny(next.amountMinor), date: s.date(next.at) })}</p>` : ''}
    <div class="actions">
      <form method="post" action="/me/membership/auto-renew">${csrfField(c)}
        <input type="hidden" name="enabled" value="${status.autoRenew ? 'off' : 'on'}">
        <button class="secondary">${status.autoRenew ? s.t('paid.turnOff') : s.t('paid.turnOn')}</button></form>
      <form method="post" action="/me/membership/cancel">${csrfField(c)}<button class="secondary">${s.t('paid.cancel')}</button></form>
    </div>`;
}

function statusCard(c: Context<PageEnv>, view: MembershipView): Html {
  const s = c.get('speaker');
  const { status } = view;
  return html`<section class="card" aria-labelledby="status-h"><h2 id="status-h">${s.t('paid.status')}</h2>
    <p data-testid="paid-status">${s.t(`paid.state.${status.status}`)}${status.plan ? ` · ${status.plan.name}` : ''}</p>
    ${status.paidThrough && status.status !== 'none' ? html`<p data-testid="paid-through">${s.t('paid.through', { date: s.date(status.paidThrough) })}</p>` : ''}
    ${status.trialUsed && !status.paid ? html`<p class="muted">${s.t('paid.trialUsed')}</p>` : ''}
    ${renewalLines(c, status)}
  </section>`;
}

function savingsCard(s: Speaker, savings: PaidSavings | null): Html {
  if (!savings) return html``;
  return html`<section class="card" aria-labelledby="saved-h"><h2 id="saved-h">${s.t('paid.saved')}</h2>
    <p><span class="figure ${savings.savedMinor >= savings.feesPaidMinor ? 'good' : ''}" data-testid="saved-so-far">${s.cny(savings.savedMinor)}</span></p>
    <p data-testid="fees-paid">${s.t('paid.against', { fees: s.cny(savings.feesPaidMinor), date: s.date(savings.since) })}</p>
    <p class="muted">${s.t('paid.savedDetail', { points: s.num(savings.extraPoints), uses: savings.benefitUses })}</p>
  </section>`;
}

/**
 * One plan's offer. The buy form carries an idempotency key made when the page was rendered:
 * submitting the same form again (a double click, a resubmitted page) is the same purchase,
 * paid once.
 */
function offerItem(c: Context<PageEnv>, view: MembershipView, plan: PlanView): Html {
  const s = c.get('speaker');
  const price = s.cny(planFeeFor(plan, view.member.tierCode));
  const { status } = view;
  const renews = status.status === 'active' || status.status === 'cancelled';
  const purpose = renews || status.status === 'expired' ? 'renew' : 'subscribe';
  const trial = !status.paid && !status.trialUsed;
  return html`<li class="offer"><p data-testid="offer"><strong>${s.t('paid.offer', { plan: plan.name, price, months: plan.termMonths })}</strong></p>
    ${plan.description ? html`<p class="muted">${plan.description}</p>` : ''}
    <div class="actions">
    <form method="post" action="/me/membership/buy" data-testid="buy-form">${csrfField(c)}
      <input type="hidden" name="planCode" value="${plan.code}">
      <input type="hidden" name="purpose" value="${purpose}">
      <input type="hidden" name="idempotencyKey" value="page-${randomUUID()}">
      <button>${s.t(purpose === 'renew' ? 'paid.renew' : 'paid.subscribe', { price })}</button></form>
    ${
      trial
        ? html`<form method="post" action="/me/membership/trial">${csrfField(c)}<input type="hidden" name="planCode" value="${plan.code}">
          <label class="check"><input type="checkbox" name="autoRenew" value="on"> ${s.t('paid.trialConvert', { price })}</label>
          <button class="secondary">${s.t('paid.trial')}</button></form>`
        : ''
    }</div></li>`;
}

function paymentsCard(s: Speaker, payments: PaymentView[]): Html {
  if (payments.length === 0) return html``;
  const rows = payments.map(
    (
      p,
    ) => html`<tr data-testid="payment-row"><td>${s.dateTime(p.createdAt)}</td><td>${p.planCode}</td>
      <td class="num">${s.cny(p.amountMinor)}</td><td>${s.t(`paid.payment.${p.status}`)}${p.failureReason ? ` (${p.failureReason})` : ''}</td>
      <td>${p.term ? `${s.date(p.term.startsAt)} – ${s.date(p.term.endsAt)}` : ''}</td></tr>`,
  );
  return html`<section class="card scroll" aria-labelledby="payments-h"><h2 id="payments-h">${s.t('paid.payments')}</h2>
    <table><thead><tr><th scope="col">${s.t('table.date')}</th><th scope="col">${s.t('paid.plan')}</th>
    <th scope="col" class="num">${s.t('table.amount')}</th><th scope="col">${s.t('table.status')}</th><th scope="col">${s.t('paid.term')}</th></tr></thead>
    <tbody>${rows}</tbody></table></section>`;
}

function messagesCard(s: Speaker, messages: MemberMessageView[]): Html {
  if (messages.length === 0) return html``;
  return html`<section class="card" aria-labelledby="messages-h"><h2 id="messages-h">${s.t('paid.messages')}</h2>
    <ul class="plain">${messages.map(
      (m) =>
        html`<li data-testid="message"><strong>${m.subject}</strong> <span class="muted">${s.dateTime(m.createdAt)}</span><br>${m.body}</li>`,
    )}</ul></section>`;
}

async function membershipPage(
  c: Context<PageEnv>,
  outcome?: Outcome,
  status: 200 | 400 | 404 | 409 | 422 | 503 = 200,
): Promise<Response> {
  const view = await loadView(c);
  const s = c.get('speaker');
  const body = html`<h1>${s.t('paid.title')}</h1>
    ${outcomeNotice(s, view, outcome)}
    <div class="grid">${statusCard(c, view)}${savingsCard(s, view.savings)}</div>
    <section class="card" aria-labelledby="offer-h"><h2 id="offer-h">${s.t('paid.offers')}</h2>
      <ul class="plain">${view.plans.map((p) => offerItem(c, view, p))}</ul></section>
    ${paymentsCard(s, view.payments)}
    ${messagesCard(s, view.messages)}`;
  return c.html(layout(c, { title: s.t('paid.title'), nav: memberNav, body }), status);
}

/**
 * A use case's refusal (a retired plan, nothing to renew, no payment provider) is shown on
 * the page itself, with the page as it now stands; anything else is the error page's.
 */
async function orRefused(c: Context<PageEnv>, action: () => Promise<Response>): Promise<Response> {
  try {
    return await action();
  } catch (error) {
    if (!isAppError(error) || error.type === 'unauthenticated' || error.type === 'forbidden') {
      throw error;
    }
    const status = ([400, 404, 409, 422, 503] as const).find((x) => x === error.status) ?? 400;
    return membershipPage(c, { kind: 'refused', text: error.message }, status);
  }
}

async function buy(c: Context<PageEnv>): Promise<Response> {
  const member = await pageMember(c);
  const purpose = await formText(c, 'purpose');
  if (purpose !== 'subscribe' && purpose !== 'renew') {
    throw new AppError('validation_failed', 'purpose: subscribe or renew.');
  }
  const result = await buyPaidMembership(paymentDeps(c), {
    memberId: member.id,
    planCode: await formText(c, 'planCode'),
    idempotencyKey: await formText(c, 'idempotencyKey'),
    purpose,
  });
  if (result.payment.status === 'pending') {
    // The provider's page is known only now (it is not stored): shown here, not redirected.
    return membershipPage(c, { kind: 'pending', payment: result.payment }, 200);
  }
  const again = result.replayed ? '&again=1' : '';
  return c.redirect(`/me/membership?paid=${result.payment.id}${again}`, 303);
}

function outcomeFromQuery(c: Context<PageEnv>): Outcome | undefined {
  const paid = c.req.query('paid');
  return paid ? { kind: 'paid', paymentId: paid, again: c.req.query('again') === '1' } : undefined;
}

export function registerMembership(app: Hono<PageEnv>): void {
  app.get('/me/membership', (c) => membershipPage(c, outcomeFromQuery(c)));
  app.post('/me/membership/buy', (c) => orRefused(c, () => buy(c)));
  app.post('/me/membership/trial', (c) =>
    orRefused(c, async () => {
      const member = await pageMember(c);
      await startTrial(c.get('services'), {
        memberId: member.id,
        planCode: await formText(c, 'planCode'),
        autoRenew: (await formText(c, 'autoRenew')) === 'on',
      });
      return c.redirect('/me/membership', 303);
    }),
  );
  app.post('/me/membership/auto-renew', (c) =>
    orRefused(c, async () => {
      const member = await pageMember(c);
      const enabled = (await formText(c, 'enabled')) === 'on';
      await setAutoRenew(c.get('services'), { memberId: member.id, enabled });
      return c.redirect('/me/membership', 303);
    }),
  );
  app.post('/me/membership/cancel', (c) =>
    orRefused(c, async () => {
      const member = await pageMember(c);
      await cancelPaidMembership(c.get('services'), member.id);
      return c.redirect('/me/membership', 303);
    }),
  );
}
