// What the scripts do at a partner's till and in a member's app, on k6's promise-based HTTP
// (http.asyncRequest) so that the same code runs under k6 and under the local runner
// (npm run load). Every partner call is signed (./hub.js, docs/signing.md).

import http from 'k6/http';
import { importSigningKey, newKey, signRequest } from './hub.js';

export const hubUrl = __ENV.HUB_URL || 'http://127.0.0.1:3000';

/** A multiplier on every script's arrival rates (0.05 for a smoke run). */
export const scale = Number(__ENV.SCALE || 1);

/**
 * An arrival rate of `perSecond` iterations, scaled: k6 wants whole iterations per time unit,
 * so a rate under one a second is counted per minute.
 * @param {number} perSecond
 */
export function arrivals(perSecond) {
  const rate = perSecond * scale;
  if (rate >= 1) return { rate: Math.round(rate), timeUnit: '1s' };
  return { rate: Math.max(1, Math.round(rate * 60)), timeUnit: '1m' };
}

/**
 * Seconds in a k6 duration of whole seconds or minutes ('90s', '2m', '1m30s').
 * @param {string} text
 */
export function seconds(text) {
  const m = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!m || text === '') throw new Error(`duration ${text}: use whole seconds or minutes`);
  return Number(m[1] || 0) * 60 + Number(m[2] || 0);
}

/** The same percentiles everywhere, p(99) included, as the thresholds name it. */
export const summaryTrendStats = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'];

/** @type {Promise<CryptoKey> | undefined} */
let signingKey;

/**
 * A signed POST to the partner API, tagged with its step for thresholds and the summary.
 * @param {{ partner: { id: string, kid: string }, privateJwk: Record<string, unknown> }} setup
 * @param {string} path
 * @param {unknown} payload
 * @param {string} step
 */
export async function signedPost(setup, path, payload, step) {
  signingKey ??= importSigningKey(setup.privateJwk);
  const body = JSON.stringify(payload);
  const headers = await signRequest(await signingKey, setup.partner, {
    method: 'POST',
    path,
    body,
    idempotencyKey: newKey(),
  });
  return http.asyncRequest('POST', `${hubUrl}${path}`, body, {
    headers,
    tags: { step, name: path.replace(/\/redemptions\/[^/]+\//, '/redemptions/{holdId}/') },
  });
}

/**
 * A member's own call with their session, as the member's phone makes it.
 * @param {string} session
 * @param {string} method
 * @param {string} path
 * @param {string} step
 */
export function memberCall(session, method, path, step) {
  return http.asyncRequest(method, `${hubUrl}${path}`, null, {
    headers: { authorization: `Bearer ${session}` },
    tags: { step, name: path },
  });
}

/**
 * @template T
 * @param {T[]} list
 * @returns {T}
 */
export function pick(list) {
  const item = list[Math.floor(Math.random() * list.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/**
 * A purchase at the load-test store.
 * @param {{ storeCode: string, customerIds: string[] }} setup
 * @param {number} [amountMinor]
 */
export function purchase(setup, amountMinor = 100 + Math.floor(Math.random() * 50_000)) {
  return {
    orderId: newKey(),
    storeCode: setup.storeCode,
    amountMinor,
    purchasedAt: new Date().toISOString(),
    member: { customerId: pick(setup.customerIds) },
  };
}

/**
 * A member's pay code, asked for with their session (valid a minute, used once).
 * @param {string} session
 * @returns {Promise<string | undefined>}
 */
export async function payCode(session) {
  const res = await memberCall(session, 'POST', '/v1/me/pay-codes', 'pay-code');
  if (res.status !== 200 && res.status !== 201) return undefined;
  const code = res.json('code');
  return typeof code === 'string' ? code : undefined;
}

export { newKey };
