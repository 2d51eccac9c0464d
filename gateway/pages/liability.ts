import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import { partnerBrands } from '../../partners/index.ts';
import { isAppError } from '../../platform/index.ts';
import {
  type LiabilitySnapshotView,
  listPeriods,
  periodLiability,
} from '../../settlement/index.ts';
import { liabilityWithCaps } from '../finance/liability.ts';
import { lineChart } from './chart.ts';
import type { Speaker } from './i18n.ts';
import { financeNav, type Html, layout } from './layout.ts';
import type { PageEnv } from './session.ts';
import { pageStaff } from './staff.ts';

/**
 * The points liability per issuer: now (with each issuer's cap), and over time from the
 * snapshot settlement takes at the end of every period, as a chart and the same figures as a
 * table. The same settlement/ functions as GET /v1/finance/liability and its period snapshots.
 */

/** Periods shown over time: a month of daily periods. */
const periodsShown = 31;

type Now = Awaited<ReturnType<typeof liabilityWithCaps>>;

function nowCard(s: Speaker, now: Now, name: (id: string) => string): Html {
  const rows = now.issuers.map(
    (i) => html`<tr data-testid="liability-row"><th scope="row">${name(i.partnerId)}</th>
      <td class="num">${s.num(i.outstandingPoints)}</td><td class="num" data-testid="liability-value">${s.cny(i.valueMinor)}</td>
      <td class="num">${s.cny(i.expectedBreakageMinor)}</td><td class="num">${i.breakageRate ?? '—'}</td>
      <td class="num">${i.limitPoints === null ? '—' : s.num(i.limitPoints)}</td></tr>`,
  );
  return html`<section class="card scroll" aria-labelledby="now-h"><h2 id="now-h">${s.t('finance.liabilityNow', { at: s.dateTime(now.at) })}</h2>
    <table><thead><tr><th scope="col">${s.t('finance.issuer')}</th><th scope="col" class="num">${s.t('finance.outstanding')}</th>
    <th scope="col" class="num">${s.t('finance.value')}</th><th scope="col" class="num">${s.t('finance.expectedBreakage')}</th>
    <th scope="col" class="num">${s.t('finance.breakageRate')}</th><th scope="col" class="num">${s.t('finance.cap')}</th></tr></thead>
    <tbody>${rows}</tbody>
    <tfoot><tr><th scope="row">${s.t('finance.total')}</th><td class="num">${s.num(now.totals.outstandingPoints)}</td>
      <td class="num" data-testid="liability-total">${s.cny(now.totals.valueMinor)}</td><td class="num">${s.cny(now.totals.expectedBreakageMinor)}</td><td></td><td></td></tr></tfoot>
    </table></section>`;
}

/** The snapshots of the latest periods that have one, oldest first. */
async function snapshots(c: Context<PageEnv>): Promise<LiabilitySnapshotView[]> {
  const db = c.get('services').db;
  const periods = await listPeriods(db, periodsShown);
  const taken = await Promise.all(
    periods.map((p) =>
      periodLiability(db, p.id).catch((error: unknown) => {
        // A period whose snapshot is not taken yet is simply not on the chart.
        if (isAppError(error) && error.type === 'conflict') return null;
        throw error;
      }),
    ),
  );
  return taken.flatMap((x) => (x ? [x] : [])).reverse();
}

function historyCard(s: Speaker, history: LiabilitySnapshotView[], name: (id: string) => string) {
  if (history.length === 0) {
    return html`<section class="card"><h2>${s.t('finance.liabilityOverTime')}</h2><p>${s.t('finance.noSnapshots')}</p></section>`;
  }
  const issuers = [...new Set(history.flatMap((h) => h.issuers.map((i) => i.partnerId)))];
  const issuerValue = (h: LiabilitySnapshotView, id: string) =>
    h.issuers.find((i) => i.partnerId === id)?.valueMinor ?? null;
  const dates = history.map((h) => h.localDate);
  const series = issuers.map((id) => ({
    label: name(id),
    values: history.map((h) => issuerValue(h, id)),
  }));
  const rows = history.map(
    (h) =>
      html`<tr data-testid="snapshot-row"><th scope="row">${h.localDate}</th>${issuers.map((id) => {
        const v = issuerValue(h, id);
        return html`<td class="num">${v === null ? '—' : s.cny(v)}</td>`;
      })}<td class="num">${s.cny(h.totals.valueMinor)}</td></tr>`,
  );
  return html`<section class="card scroll" aria-labelledby="time-h"><h2 id="time-h">${s.t('finance.liabilityOverTime')}</h2>
    ${lineChart(s, dates, series, (v) => s.cny(v))}
    <table><thead><tr><th scope="col">${s.t('table.date')}</th>${issuers.map((id) => html`<th scope="col" class="num">${name(id)}</th>`)}
    <th scope="col" class="num">${s.t('finance.total')}</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

async function liabilityPage(c: Context<PageEnv>): Promise<Response> {
  await pageStaff(c, 'finance');
  const s = c.get('speaker');
  const { db, clock } = c.get('services');
  const [now, history] = await Promise.all([
    liabilityWithCaps(db, { now: clock.now() }),
    snapshots(c),
  ]);
  const ids = [
    ...now.issuers.map((i) => i.partnerId),
    ...history.flatMap((h) => h.issuers.map((i) => i.partnerId)),
  ];
  const brands = await partnerBrands(db, [...new Set(ids)]);
  const name = (id: string) => brands.get(id) ?? id;
  const body = html`<h1>${s.t('finance.liability')}</h1>
    <p class="muted">${s.t('finance.liabilityHelp')}</p>
    ${nowCard(s, now, name)}${historyCard(s, history, name)}`;
  return c.html(layout(c, { title: s.t('finance.liability'), nav: financeNav, body }));
}

export function registerLiability(app: Hono<PageEnv>): void {
  app.get('/finance/liability', liabilityPage);
}
