import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import { activityKinds } from '../../members/index.ts';
import { isAppError } from '../../platform/index.ts';
import {
  type AllianceSettings,
  allianceSettings,
  changeSettings,
  SettingsChangesSchema,
} from '../admin/settings.ts';
import { formValues, staffActor } from './alliance.ts';
import { errorsOf, type FormState, field, parsedOrErrors, refusalState, shown } from './fields.ts';
import { adminNav, csrfField, layout, notice } from './layout.ts';
import type { PageEnv } from './session.ts';
import { pageStaff } from './staff.ts';

/**
 * The alliance's settings as one form: membership rules (members/) and the points policy
 * (partners/), through the same changeSettings as PATCH /v1/admin/settings and validated by
 * its schema. Only the fields the operator changed are sent, so the audit log records
 * changes, not saves.
 */

const form = 'settings';
const membershipFields = [
  'growthWindowMonths',
  'tierReviewMonths',
  'trialDays',
  'newMemberDays',
  'dormantAfterDays',
  'superUserPercent',
  'renewalReminderDays',
] as const;
const pointsFields = ['pointsLifetimeDays', 'holdTtlSeconds'] as const;

/** Every setting the form edits, by input name, with its value in force. */
function currentValues(now: AllianceSettings): Map<string, number> {
  const values = new Map<string, number>();
  for (const f of membershipFields) values.set(`membership.${f}`, now.membership[f]);
  for (const f of pointsFields) values.set(`points.${f}`, now.points[f]);
  for (const kind of activityKinds) {
    const rule = now.membership.activityGrowth[kind];
    values.set(`membership.activityGrowth.${kind}.amount`, rule.amount);
    values.set(`membership.activityGrowth.${kind}.dailyCap`, rule.dailyCap);
  }
  return values;
}

async function settingsPage(c: Context<PageEnv>, state?: FormState): Promise<Response> {
  await pageStaff(c, 'admin');
  const s = c.get('speaker');
  const now = await allianceSettings(c.get('services').db);
  const errors = errorsOf(state, form);
  const input = (name: string, label: string, now: number) =>
    field(
      form,
      {
        name,
        label,
        value: shown(state, form, name, String(now)),
        inputmode: 'numeric',
        maxlength: 12,
      },
      errors,
    );
  const activities = activityKinds.map((kind) => {
    const rule = now.membership.activityGrowth[kind];
    const what = s.t(`set.activity.${kind}`);
    const base = `membership.activityGrowth.${kind}`;
    return html`<fieldset><legend>${what}</legend>
      ${input(`${base}.amount`, s.t('set.activityAmount'), rule.amount)}
      ${input(`${base}.dailyCap`, s.t('set.activityCap'), rule.dailyCap)}</fieldset>`;
  });
  const saved = c.req.query('saved');
  const top = state
    ? notice('error', state.summary ?? s.t('form.fix'))
    : saved === '1'
      ? notice('ok', s.t('admin.saved'))
      : saved === '0'
        ? notice('ok', s.t('admin.nothingChanged'))
        : '';
  const body = html`<h1>${s.t('admin.settings')}</h1>${top}
    <form method="post" action="/admin/settings" data-testid="settings-form">${csrfField(c)}
    <div class="grid">
      <section class="card"><h2>${s.t('set.membership')}</h2>
        ${membershipFields.map((f) => input(`membership.${f}`, s.t(`set.${f}`), now.membership[f]))}</section>
      <section class="card"><h2>${s.t('set.activity')}</h2>${activities}</section>
      <section class="card"><h2>${s.t('set.points')}</h2>
        ${pointsFields.map((f) => input(`points.${f}`, s.t(`set.${f}`), now.points[f]))}</section>
    </div>
    <button>${s.t('admin.save')}</button></form>`;
  const status = state ? (state.summary ? 422 : 400) : 200;
  return c.html(layout(c, { title: s.t('admin.settings'), nav: adminNav, body }), status);
}

/** Puts `value` at the dotted path inside `into`, making the objects on the way. */
function setPath(into: Record<string, unknown>, path: string, value: unknown): void {
  const [head = '', ...rest] = path.split('.');
  if (rest.length === 0) {
    into[head] = value;
    return;
  }
  if (typeof into[head] !== 'object' || into[head] === null) into[head] = {};
  setPath(into[head] as Record<string, unknown>, rest.join('.'), value);
}

/**
 * What the operator changed, as a PATCH body: whole numbers where typed as such (else the
 * text, for the schema to refuse by name). An activity rule is sent whole when any of its
 * two numbers changed, as the use case replaces a kind's rule.
 */
function changesFrom(values: Record<string, string>, now: Map<string, number>) {
  const changes: Record<string, unknown> = {};
  const read = (name: string) => {
    const text = values[name] ?? '';
    return /^\d{1,12}$/.test(text) ? Number(text) : text;
  };
  for (const [name, current] of now) {
    if (name.includes('.activityGrowth.')) continue;
    if (read(name) !== current) setPath(changes, name, read(name));
  }
  for (const kind of activityKinds) {
    const base = `membership.activityGrowth.${kind}`;
    const amount = read(`${base}.amount`);
    const dailyCap = read(`${base}.dailyCap`);
    if (amount !== now.get(`${base}.amount`) || dailyCap !== now.get(`${base}.dailyCap`)) {
      setPath(changes, base, { amount, dailyCap });
    }
  }
  return changes;
}

async function saveSettings(c: Context<PageEnv>): Promise<Response> {
  const staff = await pageStaff(c, 'admin');
  const services = c.get('services');
  const values = await formValues(c);
  const changes = changesFrom(values, currentValues(await allianceSettings(services.db)));
  if (Object.keys(changes).length === 0) return c.redirect('/admin/settings?saved=0', 303);
  const parsed = parsedOrErrors(SettingsChangesSchema.safeParse(changes), new Map());
  if (!parsed.ok) return settingsPage(c, { form, values, errors: parsed.errors });
  try {
    await changeSettings(services, parsed.data, staffActor(staff));
  } catch (error) {
    if (!isAppError(error) || error.status >= 500 || error.type !== 'validation_failed')
      throw error;
    return settingsPage(c, refusalState(error, form, values, 'membership.'));
  }
  return c.redirect('/admin/settings?saved=1', 303);
}

export function registerAllianceSettings(app: Hono<PageEnv>): void {
  app.get('/admin/settings', (c) => settingsPage(c));
  app.post('/admin/settings', saveSettings);
}
