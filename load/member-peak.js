// A member-day peak: visits ramp up to a peak, hold, and fall back (ramping arrival rate).
// Each visit: the member opens the app (their points), buys at a partner's till (an accrual),
// and one visit in four also pays with points (pay code, one-step redemption).
//   npm run load -- load/member-peak.js -e PEAK=300 -e DURATION=90s

import { check } from 'k6';
import * as flows from './lib/flows.js';
import {
  arrivals,
  memberCall,
  purchase,
  seconds,
  signedPost,
  summaryTrendStats,
} from './lib/till.js';

/** @type {import("./lib/flows.js").Setup} */
const setup = JSON.parse(open(__ENV.LOAD_SETUP || '../.data/load-setup.json'));
const peak = arrivals(Number(__ENV.PEAK || 150));
const thirdS = Math.max(1, Math.round(seconds(__ENV.DURATION || '30s') / 3));

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    memberDay: {
      executor: 'ramping-arrival-rate',
      exec: 'visit',
      startRate: 0,
      timeUnit: peak.timeUnit,
      preAllocatedVUs: 50,
      maxVUs: 500,
      stages: [
        { target: peak.rate, duration: `${thirdS}s` },
        { target: peak.rate, duration: `${thirdS}s` },
        { target: 0, duration: `${thirdS}s` },
      ],
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    'http_req_duration{step:accrual}': ['p(99)<1000'],
    'http_req_duration{step:me}': ['p(99)<1000'],
  },
  summaryTrendStats,
};

export async function visit() {
  const i = Math.floor(Math.random() * setup.customerIds.length);
  const session = setup.memberSessions[i] ?? '';
  const me = await memberCall(session, 'GET', '/v1/me', 'me');
  check(me, { 'member sees their points (200)': (r) => r.status === 200 });
  const bought = { ...purchase(setup), member: { customerId: setup.customerIds[i] } };
  const accrual = await signedPost(setup, '/v1/partner/accruals', bought, 'accrual');
  check(accrual, { 'accrued (200)': (r) => r.status === 200 });
  // One visit in four also pays with points, with the same member's pay code.
  if (Math.random() < 0.25) await flows.redeem(setup, session);
}
