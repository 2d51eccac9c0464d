// The till: two-phase redemptions (the member's pay code, authorise, capture), one-step
// redemptions, and refunds of purchases and of redemptions, each at its own arrival rate.
//   npm run load -- load/till.js -e SCALE=1 -e DURATION=60s
// Pay codes are limited per member (20 a minute): the setup's members (LOAD_MEMBERS, 200 by
// default) bound how many redemptions a minute the script can make.

import * as flows from './lib/flows.js';
import { arrivals, summaryTrendStats } from './lib/till.js';

/** @type {import("./lib/flows.js").Setup} */
const setup = JSON.parse(open(__ENV.LOAD_SETUP || '../.data/load-setup.json'));
const duration = __ENV.DURATION || '30s';

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    twoPhase: flows.flow('authoriseAndCapture', arrivals(15), duration),
    oneStep: flows.flow('redeemAtOnce', arrivals(15), duration),
    purchaseRefunds: flows.flow('refundPurchase', arrivals(4), duration),
    redemptionRefunds: flows.flow('refundRedemption', arrivals(4), duration),
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    'http_req_duration{step:capture}': ['p(99)<1000'],
    'http_req_duration{step:redeem}': ['p(99)<1000'],
    'http_req_duration{step:refund}': ['p(99)<1000'],
  },
  summaryTrendStats,
};

export const authoriseAndCapture = () => flows.authoriseAndCapture(setup);
export const redeemAtOnce = () => flows.redeem(setup);
export const refundPurchase = () => flows.refundPurchase(setup);
export const refundRedemption = () => flows.refundRedemption(setup);
