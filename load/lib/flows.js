// The till's flows as the scripts share them: each checks what a till would notice.

import { check } from 'k6';
import { newKey, payCode, pick, purchase, signedPost } from './till.js';

/**
 * @typedef {{
 *   partner: { id: string, kid: string },
 *   privateJwk: Record<string, unknown>,
 *   storeCode: string,
 *   customerIds: string[],
 *   memberSessions: string[],
 * }} Setup
 */

/**
 * A flow at its own constant arrival rate.
 * @param {string} exec
 * @param {{ rate: number, timeUnit: string }} arrival
 * @param {string} duration
 * @param {number} [maxVUs]
 * @returns {import('k6/options').Scenario}
 */
export function flow(exec, arrival, duration, maxVUs = 200) {
  return {
    executor: 'constant-arrival-rate',
    exec,
    ...arrival,
    duration,
    preAllocatedVUs: 10,
    maxVUs,
  };
}

/**
 * @param {Setup} setup
 * @param {string} code
 */
function redemption(setup, code) {
  return {
    payCode: code,
    storeCode: setup.storeCode,
    orderId: newKey(),
    orderAmountMinor: 10_000,
    points: 10,
  };
}

/**
 * A member's pay code (session given, or a member picked at random).
 * @param {Setup} setup
 * @param {string} [session]
 */
async function checkedPayCode(setup, session = pick(setup.memberSessions)) {
  const code = await payCode(session);
  check(code, { 'pay code issued': (c) => c !== undefined });
  return code;
}

/** @param {Setup} setup */
export async function authoriseAndCapture(setup) {
  const code = await checkedPayCode(setup);
  if (!code) return;
  const auth = await signedPost(
    setup,
    '/v1/partner/redemptions/authorise',
    redemption(setup, code),
    'authorise',
  );
  if (!check(auth, { 'authorised (200)': (r) => r.status === 200 })) return;
  const cap = await signedPost(
    setup,
    `/v1/partner/redemptions/${auth.json('holdId')}/capture`,
    {},
    'capture',
  );
  check(cap, { 'captured (200)': (r) => r.status === 200 });
}

/**
 * A one-step redemption; the order id when it was redeemed.
 * @param {Setup} setup
 * @param {string} [session]
 * @returns {Promise<string | undefined>}
 */
export async function redeem(setup, session) {
  const code = await checkedPayCode(setup, session);
  if (!code) return undefined;
  const order = redemption(setup, code);
  const res = await signedPost(setup, '/v1/partner/redemptions', order, 'redeem');
  return check(res, { 'redeemed (200)': (r) => r.status === 200 }) ? order.orderId : undefined;
}

/**
 * A purchase, then a quarter of it refunded: points taken back in proportion.
 * @param {Setup} setup
 */
export async function refundPurchase(setup) {
  const bought = purchase(setup, 20_000);
  const res = await signedPost(setup, '/v1/partner/accruals', bought, 'accrual');
  if (!check(res, { 'accrued (200)': (r) => r.status === 200 })) return;
  const refund = await signedPost(
    setup,
    '/v1/partner/refunds',
    { kind: 'purchase', refundId: newKey(), orderId: bought.orderId, refundAmountMinor: 5_000 },
    'refund',
  );
  check(refund, { 'purchase refunded (200)': (r) => r.status === 200 });
}

/**
 * A one-step redemption, then refunded: the points go back to the member.
 * @param {Setup} setup
 */
export async function refundRedemption(setup) {
  const orderId = await redeem(setup);
  if (!orderId) return;
  const refund = await signedPost(
    setup,
    '/v1/partner/refunds',
    { kind: 'redemption', refundId: newKey(), orderId },
    'refund',
  );
  check(refund, { 'redemption refunded (200)': (r) => r.status === 200 });
}

/**
 * One single accrual.
 * @param {Setup} setup
 */
export async function accrue(setup) {
  const res = await signedPost(setup, '/v1/partner/accruals', purchase(setup), 'accrual');
  check(res, {
    'accrued (200)': (r) => r.status === 200,
    'receipt signed': (r) => Boolean(r.headers['Hub-Receipt']),
  });
}
