import type { Context } from 'hono';
import { html } from 'hono/html';
import { AppError } from '../../platform/index.ts';
import { type ReconcileLine, type ReconcileOutcome, reconcile } from '../../settlement/index.ts';
import { textChunks } from '../body.ts';
import type { Speaker } from './i18n.ts';
import { csrfField, type Html, notice } from './layout.ts';
import type { PageEnv } from './session.ts';

/**
 * A partner's transaction file against the hub's statement lines, on a page: the partner's
 * portal uploads its own, finance uploads one on a partner's behalf. Both read the upload as
 * a stream into settlement/ reconcile, and show the outcome the same way: the summary, the
 * counts per kind of line, and the lines that differ.
 */

/** Reconciles the uploaded `file` field for the period and partner given (never a form's). */
export async function reconcileUpload(
  c: Context<PageEnv>,
  target: { periodId: string; partnerId: string },
): Promise<ReconcileOutcome> {
  const file = (await c.req.parseBody()).file;
  if (!(file instanceof File)) {
    throw new AppError('validation_failed', 'Choose a CSV file.', {
      fields: [{ field: 'file', reason: 'a CSV file' }],
    });
  }
  return reconcile(c.get('services').db, { ...target, file: textChunks(file.stream()) });
}

/** The upload form; `id` tells its file input from the page's other ones. */
export function reconcileForm(c: Context<PageEnv>, action: string, id: string): Html {
  const s = c.get('speaker');
  return html`<form method="post" action="${action}" enctype="multipart/form-data">${csrfField(c)}
    <label for="file-${id}">${s.t('portal.reconcileFile')}</label>
    <input id="file-${id}" type="file" name="file" accept=".csv,text/csv" required>
    <button class="secondary">${s.t('portal.upload')}</button></form>`;
}

function lineText(l: ReconcileLine): string {
  return `${l.orderId} · ${l.kind} · ${l.points}`;
}

function byKindTable(s: Speaker, outcome: ReconcileOutcome): Html {
  return html`<table data-testid="reconcile-kinds"><thead><tr><th scope="col">${s.t('table.kind')}</th>
    <th scope="col" class="num">${s.t('reconcile.matched')}</th><th scope="col" class="num">${s.t('reconcile.missingAtHub')}</th>
    <th scope="col" class="num">${s.t('reconcile.missingInFile')}</th><th scope="col" class="num">${s.t('reconcile.differ')}</th></tr></thead>
    <tbody>${outcome.byKind.map(
      (k) => html`<tr><th scope="row">${k.kind}</th><td class="num">${s.num(k.matched)}</td>
        <td class="num">${s.num(k.missingAtHub)}</td><td class="num">${s.num(k.missingAtPartner)}</td>
        <td class="num">${s.num(k.mismatched)}</td></tr>`,
    )}</tbody></table>`;
}

export function reconcileOutcomeCard(s: Speaker, outcome: ReconcileOutcome): Html {
  const differ =
    outcome.counts.missingAtHub + outcome.counts.missingAtPartner + outcome.counts.mismatched;
  const item = (label: string, text: string) => html`<li>${label}: ${text}</li>`;
  return html`<section class="card scroll" data-testid="reconcile-outcome">
    ${notice(differ === 0 ? 'ok' : 'error', s.t('portal.matched', { n: outcome.matched, m: differ }))}
    ${byKindTable(s, outcome)}
    <ul class="plain">${outcome.missingAtHub.map((l) => item(s.t('reconcile.missingAtHub'), lineText(l)))}
    ${outcome.missingAtPartner.map((l) => item(s.t('reconcile.missingInFile'), lineText(l)))}
    ${outcome.mismatched.map((m) => item(s.t('reconcile.differ'), `${lineText(m.partner)} ≠ ${m.hub.points}`))}</ul>
    ${outcome.truncated ? html`<p class="muted">${s.t('reconcile.truncated')}</p>` : ''}</section>`;
}
