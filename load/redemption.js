// k6 run load/redemption.js: counter redemptions, two-phase (authorise then capture), against
// members whose pay codes the setup cannot mint in advance (they last 60 s): each iteration
// asks the hub for a member session's pay code through the member API first, as the member's
// phone would. Loopback by default; stops by itself.

import { check } from 'k6';
import http from 'k6/http';
import { importSigningKey, newKey, signRequest } from './lib/hub.js';

const hub = __ENV.HUB_URL || 'http://127.0.0.1:3000';
const setup = JSON.parse(open(__ENV.LOAD_SETUP || '../.data/load-setup.json'));

export const options = {
  scenarios: {
    counters: {
      executor: 'constant-vus',
      exec: 'counterRedemption',
      vus: Number(__ENV.VUS || 20),
      duration: __ENV.DURATION || '30s',
    },
  },
  thresholds: { http_req_failed: ['rate<0.05'], 'http_req_duration{step:capture}': ['p(99)<1000'] },
};

async function signedPost(key, path, payload, tag) {
  const body = JSON.stringify(payload);
  const headers = await signRequest(key, setup.partner, {
    method: 'POST',
    path,
    body,
    idempotencyKey: newKey(),
  });
  return http.post(`${hub}${path}`, body, { headers, tags: { step: tag } });
}

export async function counterRedemption() {
  const key = await importSigningKey(setup.privateJwk);
  // Spread over many members: each may ask for only a few pay codes a minute.
  const member = setup.memberSessions[(__VU * 7919 + __ITER) % setup.memberSessions.length];
  const code = http.post(`${hub}/v1/me/pay-codes`, null, {
    headers: { authorization: `Bearer ${member}` },
    tags: { step: 'pay-code' },
  });
  if (!check(code, { 'pay code (200/201)': (r) => r.status === 200 || r.status === 201 })) return;
  const auth = await signedPost(
    key,
    '/v1/partner/redemptions/authorise',
    {
      payCode: code.json('code'),
      storeCode: setup.storeCode,
      orderId: newKey(),
      orderAmountMinor: 10_000,
      points: 10,
    },
    'authorise',
  );
  if (!check(auth, { 'authorised (200)': (r) => r.status === 200 })) return;
  const cap = await signedPost(
    key,
    `/v1/partner/redemptions/${auth.json('holdId')}/capture`,
    {},
    'capture',
  );
  check(cap, { 'captured (200)': (r) => r.status === 200 });
}
