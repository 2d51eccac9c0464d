// A day at the hub, compressed: single and batch accruals, two-phase and one-step
// redemptions, refunds and members looking at their points, all at once, each at its own
// arrival rate, while the work role's jobs (settlement, expiry, holds) run beside them.
//   npm run load -- load/mixed-day.js -e SCALE=1 -e DURATION=60s
//   k6 run -e SCALE=1 -e DURATION=60s load/mixed-day.js          (npm run load:setup first)

import { check } from 'k6';
import * as flows from './lib/flows.js';
import { arrivals, memberCall, pick, purchase, signedPost, summaryTrendStats } from './lib/till.js';

/** @type {import("./lib/flows.js").Setup} */
const setup = JSON.parse(open(__ENV.LOAD_SETUP || '../.data/load-setup.json'));
const duration = __ENV.DURATION || '60s';

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    accruals: flows.flow('accrue', arrivals(100), duration, 400),
    batches: flows.flow('accrueBatch', arrivals(1), duration),
    twoPhase: flows.flow('authoriseAndCapture', arrivals(6), duration),
    oneStep: flows.flow('redeemAtOnce', arrivals(6), duration),
    refunds: flows.flow('refundPurchase', arrivals(2), duration),
    memberViews: flows.flow('viewPoints', arrivals(20), duration),
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(99)<1500'],
    'http_req_duration{step:accrual}': ['p(99)<1000'],
    'http_req_duration{step:capture}': ['p(99)<1000'],
    checks: ['rate>0.99'],
  },
  summaryTrendStats,
};

export const accrue = () => flows.accrue(setup);
export const authoriseAndCapture = () => flows.authoriseAndCapture(setup);
export const redeemAtOnce = () => flows.redeem(setup);
export const refundPurchase = () => flows.refundPurchase(setup);

export async function accrueBatch() {
  const purchases = Array.from({ length: 50 }, () => purchase(setup));
  const res = await signedPost(setup, '/v1/partner/accruals/batch', { purchases }, 'batch');
  check(res, { 'batch answered (200)': (r) => r.status === 200 });
}

export async function viewPoints() {
  const session = pick(setup.memberSessions);
  const me = await memberCall(session, 'GET', '/v1/me', 'me');
  check(me, { 'member sees their points (200)': (r) => r.status === 200 });
  const activity = await memberCall(session, 'GET', '/v1/me/activity', 'activity');
  check(activity, { 'member sees their activity (200)': (r) => r.status === 200 });
}
