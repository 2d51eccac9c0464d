import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import {
  createPaidPlan,
  listPaidPlans,
  loadTiers,
  type PlanView,
  type TierView,
  updatePaidPlan,
  updateTier,
} from '../../members/index.ts';
import { AppError, type AuditActor, isAppError } from '../../platform/index.ts';
import { NewPlanSchema, PlanChangesSchema, TierChangesSchema } from '../admin/settings.ts';
import {
  errorsOf,
  type FieldErrors,
  type FormState,
  field,
  formNotice,
  parsedOrErrors,
  refusalState,
  shown,
} from './fields.ts';
import { fenToYuanText, hundredthsOf, type Speaker } from './i18n.ts';
import { adminNav, csrfField, type Html, layout } from './layout.ts';
import type { PageEnv } from './session.ts';
import { pageStaff } from './staff.ts';

/**
 * The operator's tier ladder and paid plans, editable: each form posts to the same members/
 * use cases as PATCH /v1/admin/tiers/{code}, POST and PATCH /v1/admin/plans, validated by
 * the same schemas (gateway/admin/settings.ts), audited with the staff member as actor.
 * Amounts are typed in yuan and percentages as percent; both are read exactly as hundredths.
 */

/** A form's text fields (files have no place in these forms). */
export async function formValues(c: Context<PageEnv>): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  return Object.fromEntries(
    Object.entries(body).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v.trim()]] : [])),
  );
}

/** A code in the path: the shape of tier and plan codes, else a page that does not exist. */
function codeParam(c: Context<PageEnv>): string {
  const code = c.req.param('code') ?? '';
  if (!/^[a-z0-9][a-z0-9_-]{0,39}$/i.test(code)) throw new AppError('not_found', 'No such page.');
  return code;
}

export function staffActor(staff: { id: string }): AuditActor {
  return { kind: 'staff', id: staff.id };
}

/**
 * Reads hundredths (fen, basis points) from the named fields into `into`; a field that does
 * not read gets its error. Empty optional fields are left out.
 */
function readHundredths(
  values: Record<string, string>,
  names: string[],
  reason: string,
  errors: FieldErrors,
): Record<string, number> {
  const read: Record<string, number> = {};
  for (const name of names) {
    const text = values[name] ?? '';
    if (text === '') continue;
    const value = hundredthsOf(text);
    if (value === null) errors.set(name, reason);
    else read[name] = value;
  }
  return read;
}

function tierForm(c: Context<PageEnv>, tier: TierView, state: FormState | undefined): Html {
  const s = c.get('speaker');
  const form = `tier-${tier.code}`;
  const errors = errorsOf(state, form);
  const value = (name: string, now: string) => shown(state, form, name, now);
  return html`<form class="card" method="post" action="/admin/tiers/${tier.code}" aria-label="${tier.name}" data-testid="${form}">
    <h3>${tier.name} <span class="muted">(${tier.code})</span></h3>
    ${formNotice(c, state, form)}${csrfField(c)}
    ${field(form, { name: 'name', label: s.t('admin.tierName'), value: value('name', tier.name), required: true }, errors)}
    ${field(form, { name: 'thresholdGrowth', label: s.t('admin.thresholdCny'), value: value('thresholdGrowth', fenToYuanText(tier.thresholdGrowth)), inputmode: 'decimal', maxlength: 20 }, errors)}
    ${field(form, { name: 'discountBp', label: s.t('admin.pricePercent'), value: value('discountBp', fenToYuanText(tier.discountBp)), inputmode: 'decimal', maxlength: 8 }, errors)}
    ${field(form, { name: 'earnMultiplier', label: s.t('admin.multiplier'), value: value('earnMultiplier', tier.earnMultiplier), inputmode: 'decimal', maxlength: 14 }, errors)}
    <button>${s.t('admin.save')}</button></form>`;
}

function planFields(
  c: Context<PageEnv>,
  form: string,
  plan: PlanView | null,
  tiers: TierView[],
  state: FormState | undefined,
): Html {
  const s = c.get('speaker');
  const errors = errorsOf(state, form);
  const value = (name: string, now: string) => shown(state, form, name, now);
  const fee = (minor: number | undefined) => (minor === undefined ? '' : fenToYuanText(minor));
  const tierFees = tiers.map((t) =>
    field(
      form,
      {
        name: `tierFeesMinor.${t.code}`,
        label: s.t('admin.planTierFee', { tier: t.name }),
        value: value(`tierFeesMinor.${t.code}`, fee(plan?.tierFeesMinor[t.code])),
        inputmode: 'decimal',
        maxlength: 16,
      },
      errors,
    ),
  );
  return html`${field(form, { name: 'name', label: s.t('admin.planName'), value: value('name', plan?.name ?? ''), required: true }, errors)}
    ${field(form, { name: 'description', label: s.t('admin.planDescription'), value: value('description', plan?.description ?? ''), maxlength: 2000 }, errors)}
    ${field(form, { name: 'feeMinor', label: s.t('admin.planFee'), value: value('feeMinor', fee(plan?.feeMinor)), inputmode: 'decimal', maxlength: 16, required: true }, errors)}
    ${tierFees}`;
}

function planForm(
  c: Context<PageEnv>,
  plan: PlanView,
  tiers: TierView[],
  state: FormState | undefined,
): Html {
  const s = c.get('speaker');
  const form = `plan-${plan.code}`;
  const status = shown(state, form, 'status', plan.status);
  return html`<form class="card" method="post" action="/admin/plans/${plan.code}" aria-label="${plan.name}" data-testid="${form}">
    <h3>${plan.name} <span class="muted">(${plan.code}, ${s.t('admin.months', { n: plan.termMonths })})</span></h3>
    ${formNotice(c, state, form)}${csrfField(c)}
    ${planFields(c, form, plan, tiers, state)}
    <label for="${form}-status">${s.t('table.status')}</label>
    <select id="${form}-status" name="status">
      <option value="active"${status === 'active' ? html` selected` : ''}>${s.t('admin.planActive')}</option>
      <option value="retired"${status === 'retired' ? html` selected` : ''}>${s.t('admin.planRetired')}</option>
    </select>
    <button>${s.t('admin.save')}</button></form>`;
}

function newPlanForm(c: Context<PageEnv>, tiers: TierView[], state: FormState | undefined): Html {
  const s = c.get('speaker');
  const form = 'plan-new';
  const errors = errorsOf(state, form);
  return html`<form class="card" method="post" action="/admin/plans" aria-label="${s.t('admin.newPlan')}" data-testid="${form}">
    <h3>${s.t('admin.newPlan')}</h3>${formNotice(c, state, form)}${csrfField(c)}
    ${field(form, { name: 'code', label: s.t('admin.planCode'), value: shown(state, form, 'code', ''), maxlength: 40, required: true }, errors)}
    ${field(form, { name: 'termMonths', label: s.t('admin.planTerm'), value: shown(state, form, 'termMonths', '12'), inputmode: 'numeric', maxlength: 3 }, errors)}
    ${planFields(c, form, null, tiers, state)}
    <button>${s.t('admin.create')}</button></form>`;
}

async function tiersPage(c: Context<PageEnv>, state?: FormState): Promise<Response> {
  await pageStaff(c, 'admin');
  const s = c.get('speaker');
  const db = c.get('services').db;
  const [tiers, plans] = await Promise.all([loadTiers(db), listPaidPlans(db)]);
  const body = html`<h1>${s.t('nav.tiers')}</h1>
    <section aria-labelledby="tiers-h"><h2 id="tiers-h">${s.t('admin.tiers')}</h2>
      <p class="muted">${s.t('admin.tiersHelp')}</p>
      <div class="grid">${tiers.map((t) => tierForm(c, t, state))}</div></section>
    <section aria-labelledby="plans-h"><h2 id="plans-h">${s.t('admin.plans')}</h2>
      <div class="grid">${plans.map((p) => planForm(c, p, tiers, state))}${newPlanForm(c, tiers, state)}</div></section>`;
  const status = state ? (state.summary ? 422 : 400) : 200;
  return c.html(layout(c, { title: s.t('nav.tiers'), nav: adminNav, body }), status);
}

/**
 * Runs a form's use case; its refusal re-renders the page with the form as typed and the
 * reasons beside the fields, and changes nothing.
 */
async function orFormRefused(
  c: Context<PageEnv>,
  target: { form: string; values: Record<string, string>; ruleField?: string },
  action: () => Promise<void>,
): Promise<Response> {
  const { form, values, ruleField } = target;
  try {
    await action();
  } catch (error) {
    if (!isAppError(error) || error.status >= 500 || error.type === 'forbidden') throw error;
    if (error.type === 'unauthenticated') throw error;
    // A rule across the whole (the ladder must rise) is about the field the form changes.
    if (ruleField && error.type === 'business_rule' && error.fields.length === 0) {
      return tiersPage(c, { form, values, errors: new Map([[ruleField, error.message]]) });
    }
    return tiersPage(c, refusalState(error, form, values));
  }
  return c.redirect(`/admin/tiers?saved=${encodeURIComponent(form)}`, 303);
}

function tierChanges(s: Speaker, values: Record<string, string>, errors: FieldErrors) {
  const read = readHundredths(
    values,
    ['thresholdGrowth', 'discountBp'],
    s.t('form.amount'),
    errors,
  );
  return TierChangesSchema.safeParse({
    name: values.name,
    thresholdGrowth: read.thresholdGrowth,
    discountBp: read.discountBp,
    earnMultiplier: values.earnMultiplier || undefined,
  });
}

async function saveTier(c: Context<PageEnv>): Promise<Response> {
  const staff = await pageStaff(c, 'admin');
  const code = codeParam(c);
  const form = `tier-${code}`;
  const values = await formValues(c);
  const errors: FieldErrors = new Map();
  const parsed = parsedOrErrors(tierChanges(c.get('speaker'), values, errors), errors);
  if (!parsed.ok) return tiersPage(c, { form, values, errors: parsed.errors });
  return orFormRefused(c, { form, values, ruleField: 'thresholdGrowth' }, async () => {
    await updateTier(c.get('services'), code, parsed.data, staffActor(staff));
  });
}

/** The plan form's fee and fees by tier (an empty tier fee: that tier pays the plan's fee). */
function planFees(s: Speaker, values: Record<string, string>, errors: FieldErrors) {
  const tierNames = Object.keys(values).filter((k) => k.startsWith('tierFeesMinor.'));
  const read = readHundredths(values, ['feeMinor', ...tierNames], s.t('form.amount'), errors);
  const tierFeesMinor = Object.fromEntries(
    tierNames.flatMap((k) => (read[k] === undefined ? [] : [[k.slice(14), read[k]]])),
  );
  return { feeMinor: read.feeMinor, tierFeesMinor };
}

async function createPlan(c: Context<PageEnv>): Promise<Response> {
  const staff = await pageStaff(c, 'admin');
  const values = await formValues(c);
  const errors: FieldErrors = new Map();
  const term = values.termMonths ?? '';
  const parsed = parsedOrErrors(
    NewPlanSchema.safeParse({
      code: values.code,
      name: values.name,
      description: values.description || undefined,
      termMonths: term === '' ? undefined : /^\d{1,3}$/.test(term) ? Number(term) : term,
      ...planFees(c.get('speaker'), values, errors),
    }),
    errors,
  );
  if (!parsed.ok) return tiersPage(c, { form: 'plan-new', values, errors: parsed.errors });
  const { db, clock } = c.get('services');
  return orFormRefused(c, { form: 'plan-new', values }, async () => {
    await createPaidPlan(db, parsed.data, { actor: staffActor(staff), at: clock.now() });
  });
}

async function savePlan(c: Context<PageEnv>): Promise<Response> {
  const staff = await pageStaff(c, 'admin');
  const code = codeParam(c);
  const form = `plan-${code}`;
  const values = await formValues(c);
  const errors: FieldErrors = new Map();
  const parsed = parsedOrErrors(
    PlanChangesSchema.safeParse({
      name: values.name,
      description: values.description ?? '',
      status: values.status,
      ...planFees(c.get('speaker'), values, errors),
    }),
    errors,
  );
  if (!parsed.ok) return tiersPage(c, { form, values, errors: parsed.errors });
  return orFormRefused(c, { form, values }, async () => {
    await updatePaidPlan(c.get('services'), {
      code,
      changes: parsed.data,
      actor: staffActor(staff),
    });
  });
}

export function registerAlliance(app: Hono<PageEnv>): void {
  app.get('/admin/tiers', (c) => tiersPage(c));
  app.post('/admin/tiers/:code', saveTier);
  app.post('/admin/plans', createPlan);
  app.post('/admin/plans/:code', savePlan);
}
