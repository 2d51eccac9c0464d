import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import { partnerBrands } from '../../partners/index.ts';
import { AppError, isUuid } from '../../platform/index.ts';
import {
  approvePeriod,
  getStatement,
  listPeriods,
  markPaid,
  type PeriodSummary,
  type PeriodView,
  periodSummary,
  statementPageLines,
} from '../../settlement/index.ts';
import { staffNames } from '../staff.ts';
import { statementResponse } from '../statement-response.ts';
import { netChart } from './chart.ts';
import type { Speaker } from './i18n.ts';
import { csrfField, financeNav, type Html, layout } from './layout.ts';
import type { PageEnv } from './session.ts';
import { pageStaff } from './staff.ts';

/** A path parameter that must be a uuid: anything else is a page that does not exist. */
export function uuidParam(c: Context<PageEnv>, name: string): string {
  const value = c.req.param(name) ?? '';
  if (!isUuid(value)) throw new AppError('not_found', 'No such page.');
  return value;
}

function periodRow(s: Speaker, p: PeriodView): Html {
  return html`<tr><td><a href="/finance/periods/${p.id}">${p.localDate}</a></td>
    <td><span class="badge" data-testid="period-status">${p.status}</span></td>
    <td class="num">${p.lineCount ?? ''}</td>
    <td class="num">${p.hubFeesMinor === null ? '' : s.cny(p.hubFeesMinor)}</td></tr>`;
}

async function periodsPage(c: Context<PageEnv>): Promise<Response> {
  await pageStaff(c, 'finance');
  const s = c.get('speaker');
  const periods = await listPeriods(c.get('services').db);
  const body = html`<h1>${s.t('finance.periods')}</h1><div class="card scroll"><table>
    <thead><tr><th scope="col">${s.t('table.date')}</th><th scope="col">${s.t('table.status')}</th>
    <th scope="col" class="num">${s.t('finance.lines')}</th><th scope="col" class="num">${s.t('finance.hubFees')}</th></tr></thead>
    <tbody>${periods.map((p) => periodRow(s, p))}</tbody></table></div>`;
  return c.html(layout(c, { title: s.t('finance.periods'), nav: financeNav, body }));
}

function statementsTable(s: Speaker, summary: PeriodSummary, name: (id: string) => string): Html {
  const id = summary.period.id;
  const rows = summary.partners.map(
    (p) => html`<tr><th scope="row">${name(p.partnerId)}</th>
      <td class="num">${s.cny(p.owedToOthersMinor)}</td><td class="num">${s.cny(p.owedByOthersMinor)}</td>
      <td class="num">${s.cny(p.feesMinor)}</td>
      <td class="num"><a href="/finance/periods/${id}/statements/${p.partnerId}" data-testid="net-link">${s.cny(p.netMinor)}</a></td>
      <td><a href="/finance/periods/${id}/statements/${p.partnerId}/csv">${s.t('finance.csv')}</a></td></tr>`,
  );
  return html`<section class="card scroll" aria-labelledby="st-h"><h2 id="st-h">${s.t('finance.statements')}</h2><table>
    <thead><tr><th scope="col">${s.t('table.partner')}</th><th scope="col" class="num">${s.t('finance.owedToOthers')}</th>
    <th scope="col" class="num">${s.t('finance.owedByOthers')}</th><th scope="col" class="num">${s.t('finance.fees')}</th>
    <th scope="col" class="num">${s.t('finance.net')}</th><th scope="col">CSV</th></tr></thead>
    <tbody>${rows}</tbody></table></section>`;
}

function matrixTable(s: Speaker, summary: PeriodSummary, name: (id: string) => string): Html {
  return html`<section class="card scroll" aria-labelledby="mx-h"><h2 id="mx-h">${s.t('finance.matrix')}</h2><table>
    <thead><tr><th scope="col">${s.t('finance.payer')}</th><th scope="col">${s.t('finance.payee')}</th>
    <th scope="col" class="num">${s.t('table.amount')}</th></tr></thead>
    <tbody>${summary.matrix.map(
      (m) =>
        html`<tr><td>${name(m.payerId)}</td><td>${name(m.payeeId)}</td><td class="num">${s.cny(m.amountMinor)}</td></tr>`,
    )}</tbody></table></section>`;
}

/** Approve when computed; record payments when approved; who did what, always. */
function workflowCard(
  c: Context<PageEnv>,
  summary: PeriodSummary,
  name: (id: string) => string,
  who: Map<string, string>,
): Html {
  const s = c.get('speaker');
  const p = summary.period;
  const done = [
    p.approvedBy && p.approvedAt
      ? html`<p data-testid="approved-by">${s.t('finance.approvedBy', { who: who.get(p.approvedBy) ?? p.approvedBy, at: s.dateTime(p.approvedAt) })}</p>`
      : '',
    p.paidBy && p.paidAt
      ? html`<p>${s.t('finance.paidBy', { who: who.get(p.paidBy) ?? p.paidBy, at: s.dateTime(p.paidAt) })}</p>`
      : '',
  ];
  const approve =
    p.status === 'computed'
      ? html`<form method="post" action="/finance/periods/${p.id}/approve">${csrfField(c)}<button>${s.t('finance.approve')}</button></form>`
      : '';
  const payees = summary.partners.filter((x) => x.netMinor !== 0);
  const pay =
    p.status === 'approved'
      ? html`<form method="post" action="/finance/periods/${p.id}/paid">${csrfField(c)}
        ${payees.map(
          (
            x,
            i,
          ) => html`<label for="ref-${i}">${s.t('finance.reference', { partner: name(x.partnerId) })} (${s.cny(x.netMinor)})</label>
          <input id="ref-${i}" name="ref:${x.partnerId}" required maxlength="200">`,
        )}<button>${s.t('finance.markPaid')}</button></form>`
      : '';
  return html`<section class="card"><h2>${s.t('table.status')}: <span class="badge" data-testid="period-status">${p.status}</span></h2>${done}${approve}${pay}</section>`;
}

async function periodPage(c: Context<PageEnv>): Promise<Response> {
  await pageStaff(c, 'finance');
  const s = c.get('speaker');
  const db = c.get('services').db;
  const summary = await periodSummary(db, uuidParam(c, 'periodId'));
  const ids = summary.partners.map((p) => p.partnerId);
  const [brands, who] = await Promise.all([
    partnerBrands(db, ids),
    staffNames(
      db,
      [summary.period.approvedBy, summary.period.paidBy].flatMap((x) => (x ? [x] : [])),
    ),
  ]);
  const name = (id: string) => brands.get(id) ?? id;
  const body = html`<h1>${s.t('finance.period', { date: summary.period.localDate })}</h1>
    ${workflowCard(c, summary, name, who)}
    <section class="card" aria-labelledby="chart-h"><h2 id="chart-h">${s.t('finance.positions')}</h2>
      <p class="muted">${s.t('finance.chartHelp')}</p>
      ${netChart(
        s,
        summary.partners.map((p) => ({ label: name(p.partnerId), amountMinor: p.netMinor })),
      )}
      <p>${s.t('finance.hubFees')}: ${s.cny(summary.hubFeesMinor)}</p></section>
    ${matrixTable(s, summary, name)}
    ${statementsTable(s, summary, name)}`;
  return c.html(layout(c, { title: summary.period.localDate, nav: financeNav, body }));
}

async function statementPage(c: Context<PageEnv>): Promise<Response> {
  await pageStaff(c, 'finance');
  const s = c.get('speaker');
  const db = c.get('services').db;
  const input = { periodId: uuidParam(c, 'periodId'), partnerId: uuidParam(c, 'partnerId') };
  const statement = await getStatement(db, input);
  const brands = await partnerBrands(db, [
    input.partnerId,
    ...statement.lines.flatMap((l) => (l.counterpartyId ? [l.counterpartyId] : [])),
  ]);
  const rows = statement.lines.map(
    (
      l,
    ) => html`<tr><td>${l.line}</td><td>${s.dateTime(l.bookedAt)}</td><td>${l.kind} (${l.role})</td>
      <td>${l.counterpartyId ? (brands.get(l.counterpartyId) ?? l.counterpartyId) : ''}</td><td>${l.orderId ?? ''}</td>
      <td class="num">${s.num(l.points)}</td><td class="num">${s.cny(l.valueMinor)}</td><td class="num">${s.cny(l.feeMinor)}</td>
      <td><a href="/finance/entries/${l.entryId}" data-testid="entry-link">${s.t('finance.entry')}</a></td></tr>`,
  );
  const title = s.t('finance.statement', {
    partner: brands.get(input.partnerId) ?? input.partnerId,
    date: statement.localDate,
  });
  const body = html`<h1>${title}</h1>
    <div class="grid"><div class="card"><h2>${s.t('finance.net')}</h2><p class="figure" data-testid="statement-net">${s.cny(statement.totals.netMinor)}</p></div>
    <div class="card"><h2>${s.t('finance.fees')}</h2><p class="figure">${s.cny(statement.totals.feesMinor)}</p></div></div>
    <p><a class="button" href="/finance/periods/${input.periodId}/statements/${input.partnerId}/csv">${s.t('finance.csv')}</a></p>
    <section class="card scroll"><h2>${s.t('finance.lines')}</h2><table><thead><tr><th>#</th><th>${s.t('table.date')}</th>
    <th>${s.t('table.kind')}</th><th>${s.t('table.partner')}</th><th>Order</th><th class="num">${s.t('table.points')}</th>
    <th class="num">${s.t('table.amount')}</th><th class="num">${s.t('finance.fees')}</th><th>${s.t('finance.entry')}</th></tr></thead>
    <tbody>${rows}</tbody></table></section>`;
  return c.html(layout(c, { title, nav: financeNav, body }));
}

async function entryPage(c: Context<PageEnv>): Promise<Response> {
  await pageStaff(c, 'finance');
  const s = c.get('speaker');
  const entry = await c.get('ledger').entryWithPostings(uuidParam(c, 'entryId'));
  const rows = entry.postings.map(
    (p) => html`<tr><td>${p.ownerType} ${p.ownerId}</td><td>${p.accountKind}</td><td>${p.asset}</td>
      <td class="num" data-testid="posting-amount">${p.asset === 'PTS' ? s.num(p.amount) : s.cny(p.amount)}</td></tr>`,
  );
  const body = html`<h1>${s.t('finance.entry')} <code>${entry.id}</code></h1>
    <div class="card"><p>${entry.kind} · ${s.dateTime(entry.bookedAt)}</p>
    ${entry.reversesEntryId ? html`<p>reverses <a href="/finance/entries/${entry.reversesEntryId}">${entry.reversesEntryId}</a></p>` : ''}</div>
    <section class="card scroll"><h2>${s.t('finance.postings')}</h2><table><thead><tr><th>${s.t('finance.account')}</th>
    <th>${s.t('table.kind')}</th><th>Asset</th><th class="num">${s.t('table.amount')}</th></tr></thead>
    <tbody>${rows}</tbody></table></section>`;
  return c.html(layout(c, { title: s.t('finance.entry'), nav: financeNav, body }));
}

export function registerFinance(app: Hono<PageEnv>): void {
  app.get('/finance', periodsPage);
  app.get('/finance/periods/:periodId', periodPage);
  app.get('/finance/periods/:periodId/statements/:partnerId', statementPage);
  app.get('/finance/periods/:periodId/statements/:partnerId/csv', async (c) => {
    await pageStaff(c, 'finance');
    const input = { periodId: uuidParam(c, 'periodId'), partnerId: uuidParam(c, 'partnerId') };
    return statementResponse(c, c.get('services'), {
      ...input,
      format: 'csv',
      limit: statementPageLines,
    });
  });
  app.get('/finance/entries/:entryId', entryPage);
  app.post('/finance/periods/:periodId/approve', async (c) => {
    const staff = await pageStaff(c, 'finance');
    const { db, clock } = c.get('services');
    const periodId = uuidParam(c, 'periodId');
    await approvePeriod(db, { periodId, staffId: staff.id, now: clock.now() });
    return c.redirect(`/finance/periods/${periodId}`, 303);
  });
  app.post('/finance/periods/:periodId/paid', async (c) => {
    const staff = await pageStaff(c, 'finance');
    const { db, clock } = c.get('services');
    const periodId = uuidParam(c, 'periodId');
    const form = await c.req.parseBody();
    const payments = Object.entries(form).flatMap(([key, value]) =>
      key.startsWith('ref:') && typeof value === 'string'
        ? [{ partnerId: key.slice(4), reference: value.trim() }]
        : [],
    );
    // The JSON route's own bounds on a reference (gateway/finance/mark-paid.ts).
    if (payments.some((p) => p.reference.length === 0 || p.reference.length > 200)) {
      throw new AppError('validation_failed', 'Each payment reference is 1 to 200 characters.');
    }
    await markPaid(db, { periodId, staffId: staff.id, now: clock.now(), payments });
    return c.redirect(`/finance/periods/${periodId}`, 303);
  });
}
