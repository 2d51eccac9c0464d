import type { Context, Hono } from 'hono';
import { html, raw } from 'hono/html';
import { cachedTiers, latestSegmentRun } from '../../members/index.ts';
import {
  BurnRuleSchema,
  type EarnRule,
  EarnRuleSchema,
  getPartner,
  getPartnerRules,
  listPartnerKeys,
  listPartners,
  listStores,
} from '../../partners/index.ts';
import { AppError, listAudit } from '../../platform/index.ts';
import { PreviewSchema, previewAccrual } from '../admin/preview-accrual.ts';
import { replaceBurnRule, replaceEarnRule } from '../admin/rules.ts';
import { staffNames } from '../staff.ts';
import { formValues } from './alliance.ts';
import { errorsOf, type FormState, field, formNotice, parsedOrErrors, shown } from './fields.ts';
import { uuidParam } from './finance.ts';
import { adminNav, csrfField, type Html, layout } from './layout.ts';
import type { PageEnv } from './session.ts';
import { pageStaff } from './staff.ts';

const partnersShown = 100;
const auditShown = 200;

async function partnersPage(c: Context<PageEnv>): Promise<Response> {
  await pageStaff(c, 'admin');
  const s = c.get('speaker');
  const partners = await listPartners(c.get('services').db, { limit: partnersShown });
  const body = html`<h1>${s.t('admin.partners')}</h1><div class="card scroll"><table>
    <thead><tr><th scope="col">${s.t('table.brand')}</th><th scope="col">Code</th><th scope="col">${s.t('table.status')}</th></tr></thead>
    <tbody>${partners.map(
      (p) =>
        html`<tr><td><a href="/admin/partners/${p.id}">${p.brand}</a></td><td>${p.code}</td><td>${p.status}</td></tr>`,
    )}</tbody></table></div>`;
  return c.html(layout(c, { title: s.t('admin.partners'), nav: adminNav, body }));
}

/** The live preview: asks the hub what a purchase earns as the operator types. */
function previewScript(nonce: string, partnerId: string): Html {
  return raw(`<script nonce="${nonce}">(() => {
  const form = document.getElementById('preview');
  const out = document.getElementById('preview-points');
  const explain = document.getElementById('preview-explanation');
  const csrf = form.dataset.csrf;
  // Yuan typed as text to fen as an integer, without floating point: "12.3" -> 1230.
  const fen = (text) => {
    const m = /^(\\d{1,12})(?:\\.(\\d{0,2}))?$/.exec(text.trim());
    return m ? Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0')) : null;
  };
  let timer;
  async function update() {
    const amountMinor = fen(form.amount.value);
    if (amountMinor === null) { out.textContent = '—'; return; }
    const body = { amountMinor, tier: form.tier.value || null, paidMember: form.paid.checked };
    const r = await fetch('/admin/partners/${partnerId}/preview', {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify(body),
    });
    if (!r.ok) { out.textContent = '—'; return; }
    const accrual = await r.json();
    out.textContent = accrual.pointsText;
    explain.textContent = accrual.explanation;
  }
  form.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(update, 150); });
  form.addEventListener('submit', (e) => { e.preventDefault(); update(); });
  update();
})();</script>`);
}

function earnForm(c: Context<PageEnv>, partnerId: string, earn: EarnRule, state?: FormState) {
  const s = c.get('speaker');
  const errors = errorsOf(state, 'earn');
  const value = (name: string, now: string) => shown(state, 'earn', name, now);
  return html`<section class="card"><h2>${s.t('admin.earnRule')}</h2>${formNotice(c, state, 'earn')}
      <form method="post" action="/admin/partners/${partnerId}/earn">${csrfField(c)}
        ${field('earn', { name: 'pointsPerMinor', label: s.t('admin.pointsPerMinor'), value: value('pointsPerMinor', earn.pointsPerMinor), inputmode: 'decimal', maxlength: 24, required: true }, errors)}
        ${field('earn', { name: 'paidMemberMultiplier', label: s.t('admin.paidMemberMultiplier'), value: value('paidMemberMultiplier', earn.paidMemberMultiplier), inputmode: 'decimal', maxlength: 24, required: true }, errors)}
        ${field('earn', { name: 'capPerTransaction', label: s.t('admin.capPerTransaction'), value: value('capPerTransaction', String(earn.capPerTransaction ?? '')), inputmode: 'numeric', maxlength: 12 }, errors)}
        <button>${s.t('admin.save')}</button>
      </form></section>`;
}

function burnForm(c: Context<PageEnv>, partnerId: string, maxShare: string, state?: FormState) {
  const s = c.get('speaker');
  const value = shown(state, 'burn', 'maxShare', maxShare);
  return html`<section class="card"><h2>${s.t('admin.burnRule')}</h2>${formNotice(c, state, 'burn')}
      <form method="post" action="/admin/partners/${partnerId}/burn">${csrfField(c)}
        ${field('burn', { name: 'maxShare', label: s.t('admin.maxShare'), value, inputmode: 'decimal', maxlength: 12, required: true }, errorsOf(state, 'burn'))}
        <button>${s.t('admin.save')}</button>
      </form></section>`;
}

async function partnerPage(c: Context<PageEnv>, state?: FormState): Promise<Response> {
  await pageStaff(c, 'admin');
  const s = c.get('speaker');
  const db = c.get('services').db;
  const partner = await getPartner(db, uuidParam(c, 'partnerId'));
  const [stores, keys, rules, tiers] = await Promise.all([
    listStores(db, partner.id),
    listPartnerKeys(db, partner.id),
    getPartnerRules(db, partner.id),
    cachedTiers(db),
  ]);
  const body = html`<h1>${partner.brand} <span class="muted">(${partner.code})</span></h1>
    <div class="grid">
    ${earnForm(c, partner.id, rules.earn, state)}
    <section class="card"><h2>${s.t('admin.preview')}</h2>
      <form id="preview" data-csrf="${c.get('session').csrf}">
        <label for="amount">${s.t('admin.previewAmount')}</label>
        <input id="amount" name="amount" inputmode="decimal" value="100.00" maxlength="16">
        <label for="tier">${s.t('admin.previewTier')}</label>
        <select id="tier" name="tier"><option value="">—</option>${tiers.map((t) => html`<option value="${t.code}">${t.name}</option>`)}</select>
        <label><input type="checkbox" name="paid"> ${s.t('admin.previewPaid')}</label>
      </form>
      <p class="figure" aria-live="polite"><span id="preview-points" data-testid="preview-points">—</span> ${s.t('table.points')}</p>
      <p class="muted" id="preview-explanation"></p></section>
    ${burnForm(c, partner.id, rules.burn.maxShare, state)}
    </div>
    <div class="grid">
    <section class="card"><h2>${s.t('admin.stores')}</h2><ul class="plain">${stores.map((st) => html`<li>${st.code} · ${st.name}</li>`)}</ul></section>
    <section class="card"><h2>${s.t('admin.keys')}</h2><ul class="plain">${keys.map((k) => html`<li><code>${k.kid}</code> ${k.alg} · ${k.status}</li>`)}</ul></section>
    </div>`;
  return c.html(
    layout(c, {
      title: partner.brand,
      nav: adminNav,
      body,
      scripts: previewScript(c.get('nonce'), partner.id),
    }),
    state ? 400 : 200,
  );
}

async function saveEarnRule(c: Context<PageEnv>): Promise<Response> {
  const staff = await pageStaff(c, 'admin');
  const services = c.get('services');
  const partnerId = uuidParam(c, 'partnerId');
  const current = (await getPartnerRules(services.db, partnerId)).earn;
  const values = await formValues(c);
  const cap = values.capPerTransaction ?? '';
  // Only the fields this form shows change; categories, tiers and campaigns stay as they are.
  const parsed = parsedOrErrors(
    EarnRuleSchema.safeParse({
      ...current,
      pointsPerMinor: values.pointsPerMinor,
      paidMemberMultiplier: values.paidMemberMultiplier,
      capPerTransaction: cap === '' ? null : /^\d{1,12}$/.test(cap) ? Number(cap) : cap,
    }),
    new Map(),
  );
  if (!parsed.ok) return partnerPage(c, { form: 'earn', values, errors: parsed.errors });
  await replaceEarnRule(services, staff, { partnerId, rule: parsed.data });
  return c.redirect(`/admin/partners/${partnerId}?saved=earn`, 303);
}

async function saveBurnRule(c: Context<PageEnv>): Promise<Response> {
  const staff = await pageStaff(c, 'admin');
  const partnerId = uuidParam(c, 'partnerId');
  const values = await formValues(c);
  const parsed = parsedOrErrors(BurnRuleSchema.safeParse({ maxShare: values.maxShare }), new Map());
  if (!parsed.ok) return partnerPage(c, { form: 'burn', values, errors: parsed.errors });
  await replaceBurnRule(c.get('services'), staff, { partnerId, rule: parsed.data });
  return c.redirect(`/admin/partners/${partnerId}?saved=burn`, 303);
}

async function segmentsPage(c: Context<PageEnv>): Promise<Response> {
  await pageStaff(c, 'admin');
  const s = c.get('speaker');
  const run = await latestSegmentRun(c.get('services').db);
  const content = run
    ? html`<p class="muted">${s.dateTime(run.computedAt)}</p><table><tbody>${Object.entries(
        run.counts,
      ).map(
        ([name, count]) =>
          html`<tr><th scope="row">${name}</th><td class="num">${s.num(count)}</td></tr>`,
      )}</tbody></table>`
    : html`<p>${s.t('admin.segmentsNone')}</p>`;
  const body = html`<h1>${s.t('admin.segments')}</h1><section class="card">${content}</section>`;
  return c.html(layout(c, { title: s.t('admin.segments'), nav: adminNav, body }));
}

/** What an audit line changed: each field whose value differs, before → after. */
function changeList(before: unknown, after: unknown): Html {
  const was = (before ?? {}) as Record<string, unknown>;
  const now = (after ?? {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(was), ...Object.keys(now)])].filter(
    (k) => JSON.stringify(was[k]) !== JSON.stringify(now[k]),
  );
  const text = (v: unknown) => (v === undefined ? '—' : JSON.stringify(v));
  return html`<ul class="plain changes">${keys.map(
    (k) =>
      html`<li data-testid="audit-change"><code>${k}</code>: ${text(was[k])} → <strong>${text(now[k])}</strong></li>`,
  )}</ul>`;
}

async function auditPage(c: Context<PageEnv>): Promise<Response> {
  await pageStaff(c, 'admin');
  const s = c.get('speaker');
  const db = c.get('services').db;
  const entries = await listAudit(db, { limit: auditShown, newestFirst: true });
  const staffIds = entries.flatMap((e) => (e.actor_kind === 'staff' ? [e.actor_id] : []));
  const names = await staffNames(db, [...new Set(staffIds)]);
  const rows = entries.map(
    (
      e,
    ) => html`<tr><td>${s.dateTime(e.at)}</td><td>${names.get(e.actor_id) ?? `${e.actor_kind} ${e.actor_id}`}</td><td>${e.action}</td>
      <td>${e.subject}</td><td>${changeList(e.before, e.after)}</td></tr>`,
  );
  const body = html`<h1>${s.t('admin.audit')}</h1><section class="card scroll">${
    rows.length === 0
      ? html`<p>${s.t('admin.auditNone')}</p>`
      : html`<table><thead><tr><th>${s.t('table.date')}</th><th>${s.t('admin.who')}</th><th>${s.t('admin.action')}</th>
      <th>${s.t('admin.subject')}</th><th>${s.t('admin.change')}</th></tr></thead><tbody>${rows}</tbody></table>`
  }</section>`;
  return c.html(layout(c, { title: s.t('admin.audit'), nav: adminNav, body }));
}

export function registerAdmin(app: Hono<PageEnv>): void {
  app.get('/admin', partnersPage);
  app.get('/admin/partners/:partnerId', (c) => partnerPage(c));
  app.post('/admin/partners/:partnerId/earn', saveEarnRule);
  app.post('/admin/partners/:partnerId/burn', saveBurnRule);
  app.post('/admin/partners/:partnerId/preview', async (c) => {
    await pageStaff(c, 'admin');
    const s = c.get('speaker');
    const parsed = PreviewSchema.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) throw new AppError('validation_failed', 'The preview is not valid.');
    const accrual = await previewAccrual(c.get('services'), uuidParam(c, 'partnerId'), parsed.data);
    return c.json({ ...accrual, pointsText: s.num(accrual.points) });
  });
  app.get('/admin/segments', segmentsPage);
  app.get('/admin/audit', auditPage);
}
