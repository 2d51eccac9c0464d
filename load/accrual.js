// k6 run load/accrual.js: purchases at a high rate against the signed accrual endpoint.
// Targets loopback by default and stops by itself (fixed arrival rate, fixed duration).
// Set up a partner, store, key and members first: npm run load:setup (prints these variables).

import { check } from 'k6';
import http from 'k6/http';
import { importSigningKey, newKey, signRequest } from './lib/hub.js';

const hub = __ENV.HUB_URL || 'http://127.0.0.1:3000';
const setup = JSON.parse(open(__ENV.LOAD_SETUP || '../.data/load-setup.json'));

export const options = {
  scenarios: {
    accruals: {
      executor: 'constant-arrival-rate',
      exec: 'accrue',
      rate: Number(__ENV.RATE || 500),
      timeUnit: '1s',
      duration: __ENV.DURATION || '30s',
      preAllocatedVUs: 50,
      maxVUs: 400,
    },
  },
  thresholds: { http_req_failed: ['rate<0.01'], http_req_duration: ['p(99)<1000'] },
};

export async function accrue() {
  const key = await importSigningKey(setup.privateJwk);
  const customer = setup.customerIds[Math.floor(Math.random() * setup.customerIds.length)];
  const body = JSON.stringify({
    orderId: newKey(),
    storeCode: setup.storeCode,
    amountMinor: 100 + Math.floor(Math.random() * 50_000),
    purchasedAt: new Date().toISOString(),
    member: { customerId: customer },
  });
  const path = '/v1/partner/accruals';
  const headers = await signRequest(key, setup.partner, {
    method: 'POST',
    path,
    body,
    idempotencyKey: newKey(),
  });
  const res = http.post(`${hub}${path}`, body, { headers });
  check(res, {
    'accrued (200)': (r) => r.status === 200,
    'receipt signed': (r) => Boolean(r.headers['Hub-Receipt']),
  });
}
