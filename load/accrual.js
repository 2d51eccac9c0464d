// Single accruals at a constant arrival rate: one signed purchase per iteration.
//   npm run load -- load/accrual.js -e RATE=300 -e DURATION=60s     (local runner, then audit)
//   k6 run -e RATE=300 -e DURATION=60s load/accrual.js              (k6; npm run load:setup first)

import * as flows from './lib/flows.js';
import { arrivals, summaryTrendStats } from './lib/till.js';

/** @type {import("./lib/flows.js").Setup} */
const setup = JSON.parse(open(__ENV.LOAD_SETUP || '../.data/load-setup.json'));

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    accruals: {
      executor: 'constant-arrival-rate',
      exec: 'accrue',
      ...arrivals(Number(__ENV.RATE || 200)),
      duration: __ENV.DURATION || '30s',
      preAllocatedVUs: 50,
      maxVUs: 400,
    },
  },
  thresholds: { http_req_failed: ['rate<0.01'], http_req_duration: ['p(99)<1000'] },
  summaryTrendStats,
};

export const accrue = () => flows.accrue(setup);
