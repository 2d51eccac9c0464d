import type { Context, Hono } from 'hono';
import { html, raw } from 'hono/html';
import { cachedTiers, latestSegmentRun, listPaidPlans } from '../../members/index.ts';
import {
  EarnRuleSchema,
  getPartner,
  getPartnerRules,
  listPartnerKeys,
  listPartners,
  listStores,
} from '../../partners/index.ts';
import { AppError, listAudit } from '../../platform/index.ts';
import { PreviewSchema, previewAccrual } from '../admin/preview-accrual.ts';
import { replaceEarnRule } from '../admin/rules.ts';
import { fieldsFromZod } from '../problem.ts';
import { uuidParam } from './finance.ts';
import { adminNav, csrfField, type Html, layout, notice } from './layout.ts';
import type { PageEnv } from './session.ts';
import { formText } from './sign-in.ts';
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

async function partnerPage(c: Context<PageEnv>, problem?: string): Promise<Response> {
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
  const earn = rules.earn;
  const saved = c.req.query('saved') === '1' ? notice('ok', s.t('admin.saved')) : '';
  const body = html`<h1>${partner.brand} <span class="muted">(${partner.code})</span></h1>
    <div class="grid">
    <section class="card"><h2>${s.t('admin.earnRule')}</h2>${saved}${problem ? notice('error', problem) : ''}
      <form method="post" action="/admin/partners/${partner.id}/earn">${csrfField(c)}
        <label for="ppm">${s.t('admin.pointsPerMinor')}</label>
        <input id="ppm" name="pointsPerMinor" value="${earn.pointsPerMinor}" required maxlength="24">
        <label for="pmm">${s.t('admin.paidMemberMultiplier')}</label>
        <input id="pmm" name="paidMemberMultiplier" value="${earn.paidMemberMultiplier}" required maxlength="24">
        <label for="cap">${s.t('admin.capPerTransaction')}</label>
        <input id="cap" name="capPerTransaction" inputmode="numeric" value="${earn.capPerTransaction ?? ''}" maxlength="12">
        <button>${s.t('admin.save')}</button>
      </form>
      <p class="muted">${s.t('admin.burnRule')}: ${s.t('admin.maxShare')} ${rules.burn.maxShare}</p></section>
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
    problem ? 400 : 200,
  );
}

async function saveEarnRule(c: Context<PageEnv>): Promise<Response> {
  const staff = await pageStaff(c, 'admin');
  const services = c.get('services');
  const partnerId = uuidParam(c, 'partnerId');
  const current = (await getPartnerRules(services.db, partnerId)).earn;
  const cap = await formText(c, 'capPerTransaction');
  // Only the fields this form shows change; categories, tiers and campaigns stay as they are.
  const parsed = EarnRuleSchema.safeParse({
    ...current,
    pointsPerMinor: await formText(c, 'pointsPerMinor'),
    paidMemberMultiplier: await formText(c, 'paidMemberMultiplier'),
    capPerTransaction: cap === '' ? null : Number(cap),
  });
  if (!parsed.success) {
    const fields = fieldsFromZod(parsed.error, 'json');
    return partnerPage(c, fields.map((f) => `${f.field}: ${f.reason}`).join('; '));
  }
  await replaceEarnRule(services, staff, { partnerId, rule: parsed.data });
  return c.redirect(`/admin/partners/${partnerId}?saved=1`, 303);
}

async function tiersPage(c: Context<PageEnv>): Promise<Response> {
  await pageStaff(c, 'admin');
  const s = c.get('speaker');
  const db = c.get('services').db;
  const [tiers, plans] = await Promise.all([cachedTiers(db), listPaidPlans(db)]);
  const body = html`<h1>${s.t('nav.tiers')}</h1>
    <section class="card scroll"><h2>${s.t('admin.tiers')}</h2><table><thead><tr><th>${s.t('me.tier')}</th>
      <th class="num">${s.t('admin.threshold')}</th><th class="num">${s.t('admin.discount')}</th><th class="num">${s.t('admin.multiplier')}</th></tr></thead>
      <tbody>${tiers.map(
        (t) => html`<tr><td>${t.name}</td><td class="num">${s.cny(t.thresholdGrowth)}</td>
          <td class="num">${(t.discountBp / 100).toFixed(2)}%</td><td class="num">×${t.earnMultiplier}</td></tr>`,
      )}</tbody></table></section>
    <section class="card scroll"><h2>${s.t('admin.plans')}</h2><table><thead><tr><th>Plan</th><th class="num">${s.t('table.amount')}</th></tr></thead>
      <tbody>${plans.map(
        (p) =>
          html`<tr><td>${p.name} (${p.code})</td><td class="num">${s.cny(p.feeMinor)} / ${p.termMonths}</td></tr>`,
      )}</tbody></table></section>`;
  return c.html(layout(c, { title: s.t('nav.tiers'), nav: adminNav, body }));
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

async function auditPage(c: Context<PageEnv>): Promise<Response> {
  await pageStaff(c, 'admin');
  const s = c.get('speaker');
  const entries = await listAudit(c.get('services').db, { limit: auditShown });
  const rows = entries.map(
    (
      e,
    ) => html`<tr><td>${s.dateTime(e.at)}</td><td>${e.actor_kind} ${e.actor_id}</td><td>${e.action}</td>
      <td>${e.subject}</td><td><code>${JSON.stringify(e.after ?? {})}</code></td></tr>`,
  );
  const body = html`<h1>${s.t('admin.audit')}</h1><section class="card scroll">${
    rows.length === 0
      ? html`<p>${s.t('admin.auditNone')}</p>`
      : html`<table><thead><tr><th>${s.t('table.date')}</th><th>${s.t('admin.who')}</th><th>${s.t('admin.action')}</th>
      <th>${s.t('admin.subject')}</th><th>after</th></tr></thead><tbody>${rows}</tbody></table>`
  }</section>`;
  return c.html(layout(c, { title: s.t('admin.audit'), nav: adminNav, body }));
}

export function registerAdmin(app: Hono<PageEnv>): void {
  app.get('/admin', partnersPage);
  app.get('/admin/partners/:partnerId', (c) => partnerPage(c));
  app.post('/admin/partners/:partnerId/earn', saveEarnRule);
  app.post('/admin/partners/:partnerId/preview', async (c) => {
    await pageStaff(c, 'admin');
    const s = c.get('speaker');
    const parsed = PreviewSchema.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) throw new AppError('validation_failed', 'The preview is not valid.');
    const accrual = await previewAccrual(c.get('services'), uuidParam(c, 'partnerId'), parsed.data);
    return c.json({ ...accrual, pointsText: s.num(accrual.points) });
  });
  app.get('/admin/tiers', tiersPage);
  app.get('/admin/segments', segmentsPage);
  app.get('/admin/audit', auditPage);
}
