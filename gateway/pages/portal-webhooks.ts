import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookDelivery,
  listWebhookDeliveries,
  listWebhookEndpoints,
  redeliverWebhook,
  updateWebhookEndpoint,
  type WebhookDeliveryView,
  type WebhookEndpoint,
  WebhookEndpointInputSchema,
} from '../../partners/index.ts';
import { eventTypeNames, eventTypes, isAppError } from '../../platform/index.ts';
import { formValues } from './alliance.ts';
import {
  errorsOf,
  type FormState,
  field,
  formNotice,
  parsedOrErrors,
  refusalState,
  shown,
} from './fields.ts';
import { uuidParam } from './finance.ts';
import type { Speaker } from './i18n.ts';
import { csrfField, type Html, layout, portalNav } from './layout.ts';
import { pagePartnerUser } from './portal.ts';
import type { PageEnv } from './session.ts';

/**
 * The partner's webhooks in its portal: its endpoints (add, pause, resume, delete), the
 * deliveries made to them with each attempt, and delivering one again. The same partners/
 * functions as /v1/partner/webhooks and /v1/partner/webhook-deliveries; the partner is the
 * session's, never the path's, and every function scopes its query to it.
 */

const deliveriesShown = 50;
const form = 'endpoint';

function endpointItem(c: Context<PageEnv>, e: WebhookEndpoint): Html {
  const s = c.get('speaker');
  const toggle = e.status === 'active' ? 'paused' : 'active';
  return html`<li data-testid="endpoint"><p><code>${e.url}</code> <span class="badge" data-testid="endpoint-status">${s.t(`hooks.status.${e.status}`)}</span></p>
    ${e.description ? html`<p class="muted">${e.description}</p>` : ''}
    <p>${e.eventTypes.map((t) => html`<span class="badge">${t}</span> `)}</p>
    <div class="actions">
      <form method="post" action="/portal/webhooks/${e.id}/status">${csrfField(c)}<input type="hidden" name="status" value="${toggle}">
        <button class="secondary">${s.t(toggle === 'paused' ? 'hooks.pause' : 'hooks.resume')}</button></form>
      <form method="post" action="/portal/webhooks/${e.id}/delete">${csrfField(c)}<button class="secondary">${s.t('hooks.delete')}</button></form>
    </div></li>`;
}

function newEndpointForm(c: Context<PageEnv>, state: FormState | undefined): Html {
  const s = c.get('speaker');
  const errors = errorsOf(state, form);
  const chosen = state?.form === form ? new Set(state.values.eventTypes?.split(',') ?? []) : null;
  const typeError = errors.get('eventTypes');
  const boxes = eventTypeNames.map(
    (
      t,
    ) => html`<label class="check"><input type="checkbox" name="eventTypes" value="${t}"${chosen === null || chosen.has(t) ? html` checked` : ''}>
      <code>${t}</code> <span class="muted">${eventTypes[t]}</span></label>`,
  );
  return html`<form class="card" method="post" action="/portal/webhooks" aria-label="${s.t('hooks.add')}">
    <h2>${s.t('hooks.add')}</h2>${formNotice(c, state, form)}${csrfField(c)}
    ${field(form, { name: 'url', label: s.t('hooks.url'), value: shown(state, form, 'url', ''), maxlength: 2000, required: true }, errors)}
    ${field(form, { name: 'description', label: s.t('hooks.description'), value: shown(state, form, 'description', ''), maxlength: 200 }, errors)}
    <fieldset${typeError ? html` aria-describedby="event-types-error"` : ''}><legend>${s.t('hooks.events')}</legend>${boxes}
      ${typeError ? html`<p class="field-error" id="event-types-error" data-testid="field-error">${typeError}</p>` : ''}</fieldset>
    <button>${s.t('hooks.create')}</button></form>`;
}

function deliveryRow(s: Speaker, d: WebhookDeliveryView, urls: Map<string, string>): Html {
  const last =
    d.lastStatus !== null ? `HTTP ${d.lastStatus}` : d.lastError ? d.lastError.slice(0, 80) : '';
  return html`<tr data-testid="delivery-row"><td><a href="/portal/webhooks/deliveries/${d.id}">${s.dateTime(d.createdAt)}</a></td>
    <td><code>${d.eventType}</code></td><td><code>${urls.get(d.endpointId) ?? ''}</code></td>
    <td data-testid="delivery-status">${s.t(`hooks.delivery.${d.status}`)}</td><td class="num">${d.attempts}</td><td>${last}</td></tr>`;
}

function deliveriesCard(s: Speaker, deliveries: WebhookDeliveryView[], urls: Map<string, string>) {
  return html`<section class="card scroll" aria-labelledby="deliveries-h"><h2 id="deliveries-h">${s.t('hooks.deliveries')}</h2>
    ${
      deliveries.length === 0
        ? html`<p>${s.t('hooks.noDeliveries')}</p>`
        : html`<table><thead><tr><th scope="col">${s.t('table.date')}</th><th scope="col">${s.t('hooks.event')}</th>
      <th scope="col">${s.t('hooks.url')}</th><th scope="col">${s.t('table.status')}</th><th scope="col" class="num">${s.t('hooks.attempts')}</th>
      <th scope="col">${s.t('hooks.lastAnswer')}</th></tr></thead><tbody>${deliveries.map((d) => deliveryRow(s, d, urls))}</tbody></table>`
    }</section>`;
}

async function webhooksPage(c: Context<PageEnv>, state?: FormState): Promise<Response> {
  const user = await pagePartnerUser(c);
  const s = c.get('speaker');
  const db = c.get('services').db;
  const [endpoints, deliveries] = await Promise.all([
    listWebhookEndpoints(db, user.partnerId),
    listWebhookDeliveries(db, { partnerId: user.partnerId, limit: deliveriesShown }),
  ]);
  const urls = new Map(endpoints.map((e) => [e.id, e.url]));
  const body = html`<h1>${s.t('hooks.title')}</h1>
    <div class="grid"><section class="card" aria-labelledby="endpoints-h"><h2 id="endpoints-h">${s.t('hooks.endpoints')}</h2>
      ${endpoints.length === 0 ? html`<p>${s.t('hooks.none')}</p>` : html`<ul class="plain">${endpoints.map((e) => endpointItem(c, e))}</ul>`}</section>
    ${newEndpointForm(c, state)}</div>
    ${deliveriesCard(s, deliveries, urls)}`;
  const status = state ? (state.summary ? 422 : 400) : 200;
  return c.html(layout(c, { title: s.t('hooks.title'), nav: portalNav, body }), status);
}

async function createEndpoint(c: Context<PageEnv>): Promise<Response> {
  const user = await pagePartnerUser(c);
  const body = await c.req.parseBody({ all: true });
  const types = [body.eventTypes ?? []].flat().filter((t) => typeof t === 'string');
  const values: Record<string, string> = {
    ...(await formValues(c)),
    eventTypes: types.join(','),
  };
  const parsed = parsedOrErrors(
    WebhookEndpointInputSchema.safeParse({
      url: values.url,
      eventTypes: types,
      description: values.description || undefined,
    }),
    new Map(),
  );
  if (!parsed.ok) return webhooksPage(c, { form, values, errors: parsed.errors });
  const { db, config, clock } = c.get('services');
  try {
    await createWebhookEndpoint(db, config, {
      partnerId: user.partnerId,
      endpoint: parsed.data,
      now: clock.now(),
    });
  } catch (error) {
    if (!isAppError(error) || error.status >= 500 || error.type === 'unauthenticated') throw error;
    return webhooksPage(c, refusalState(error, form, values));
  }
  return c.redirect(`/portal/webhooks?saved=${form}`, 303);
}

async function deliveryPage(c: Context<PageEnv>): Promise<Response> {
  const user = await pagePartnerUser(c);
  const s = c.get('speaker');
  const d = await getWebhookDelivery(c.get('services').db, user.partnerId, uuidParam(c, 'id'));
  const attempts = d.attemptLog.map(
    (
      a,
    ) => html`<tr data-testid="attempt-row"><td class="num">${a.attempt}</td><td>${s.dateTime(a.startedAt)}</td>
      <td class="num">${a.durationMs ?? ''}</td><td>${a.statusCode ?? ''}</td><td>${a.error ?? ''}</td></tr>`,
  );
  const body = html`<h1>${s.t('hooks.delivery')} <code>${d.eventType}</code></h1>
    <section class="card"><p>${s.t('table.status')}: <strong data-testid="delivery-status">${s.t(`hooks.delivery.${d.status}`)}</strong></p>
      ${d.nextAttemptAt ? html`<p>${s.t('hooks.nextAttempt', { at: s.dateTime(d.nextAttemptAt) })}</p>` : ''}
      <form method="post" action="/portal/webhooks/deliveries/${d.id}/redeliver">${csrfField(c)}<button>${s.t('hooks.redeliver')}</button></form></section>
    <section class="card scroll"><h2>${s.t('hooks.attempts')}</h2><table><thead><tr><th scope="col" class="num">#</th><th scope="col">${s.t('table.date')}</th>
      <th scope="col" class="num">ms</th><th scope="col">HTTP</th><th scope="col">${s.t('hooks.error')}</th></tr></thead><tbody>${attempts}</tbody></table></section>
    <section class="card scroll"><h2>${s.t('hooks.body')}</h2><pre data-testid="delivery-body">${d.body}</pre></section>`;
  return c.html(layout(c, { title: s.t('hooks.delivery'), nav: portalNav, body }));
}

export function registerPortalWebhooks(app: Hono<PageEnv>): void {
  app.get('/portal/webhooks', (c) => webhooksPage(c));
  app.post('/portal/webhooks', createEndpoint);
  app.post('/portal/webhooks/:id/status', async (c) => {
    const user = await pagePartnerUser(c);
    const status = (await formValues(c)).status === 'paused' ? 'paused' : 'active';
    const { db, config, clock } = c.get('services');
    await updateWebhookEndpoint(db, config, {
      partnerId: user.partnerId,
      endpointId: uuidParam(c, 'id'),
      patch: { status },
      now: clock.now(),
    });
    return c.redirect('/portal/webhooks', 303);
  });
  app.post('/portal/webhooks/:id/delete', async (c) => {
    const user = await pagePartnerUser(c);
    const { db, clock } = c.get('services');
    const input = { partnerId: user.partnerId, endpointId: uuidParam(c, 'id'), now: clock.now() };
    await deleteWebhookEndpoint(db, input);
    return c.redirect('/portal/webhooks', 303);
  });
  app.get('/portal/webhooks/deliveries/:id', deliveryPage);
  app.post('/portal/webhooks/deliveries/:id/redeliver', async (c) => {
    const user = await pagePartnerUser(c);
    const { db, config, clock } = c.get('services');
    const again = await redeliverWebhook(db, config, {
      partnerId: user.partnerId,
      deliveryId: uuidParam(c, 'id'),
      now: clock.now(),
    });
    return c.redirect(`/portal/webhooks/deliveries/${again.id}`, 303);
  });
}
