// Batch accruals: a partner's back office sends purchases in batches (up to 500 a request),
// each purchase with its own result.
//   npm run load -- load/batch-accrual.js -e RATE=5 -e BATCH=100 -e DURATION=60s

import { check } from 'k6';
import { arrivals, purchase, signedPost, summaryTrendStats } from './lib/till.js';

/** @type {import("./lib/flows.js").Setup} */
const setup = JSON.parse(open(__ENV.LOAD_SETUP || '../.data/load-setup.json'));
const batchSize = Number(__ENV.BATCH || 100);

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    batches: {
      executor: 'constant-arrival-rate',
      exec: 'accrueBatch',
      ...arrivals(Number(__ENV.RATE || 4)),
      duration: __ENV.DURATION || '30s',
      preAllocatedVUs: 10,
      maxVUs: 100,
    },
  },
  thresholds: { http_req_failed: ['rate<0.01'], http_req_duration: ['p(99)<3000'] },
  summaryTrendStats,
};

export async function accrueBatch() {
  const purchases = Array.from({ length: batchSize }, () => purchase(setup));
  const res = await signedPost(setup, '/v1/partner/accruals/batch', { purchases }, 'batch');
  check(res, {
    'batch answered (200)': (r) => r.status === 200,
    'every purchase accrued': (r) => {
      const results = r.json('results');
      return (
        Array.isArray(results) &&
        results.every(
          (x) => typeof x === 'object' && x !== null && 'status' in x && x.status === 'accrued',
        )
      );
    },
  });
}
