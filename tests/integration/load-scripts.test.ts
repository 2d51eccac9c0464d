import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Domains, openDomains } from '../../domains.ts';
import { createApp } from '../../gateway/index.ts';
import { base64url, importSigningKey, newKey, signRequest, utf8 } from '../../load/lib/hub.js';
import { type LoadSetup, prepareLoad } from '../../scripts/load-setup.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';

let hub: TestHub;
let domains: Domains;
let setup: LoadSetup;
beforeAll(async () => {
  hub = await createTestHub();
  domains = await openDomains(hub.services);
  setup = await prepareLoad(hub.services, domains, 2);
});
afterAll(async () => {
  await domains.ledger.close();
  await hub.close();
});

describe('the k6 scripts’ signing code (load/lib/hub.js)', () => {
  it('encodes base64url and UTF-8 as the signing document says', () => {
    expect(base64url(utf8('hub-request-v1 €'))).toBe(
      Buffer.from('hub-request-v1 €').toString('base64url'),
    );
    expect(base64url(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
  });

  it('signs an accrual and a two-phase redemption that the hub accepts', async () => {
    const app = createApp(hub.services, domains);
    const key = await importSigningKey(setup.privateJwk);
    const post = async (path: string, payload: unknown) => {
      const body = JSON.stringify(payload);
      const headers = await signRequest(key, setup.partner, {
        method: 'POST',
        path,
        body,
        idempotencyKey: newKey(),
      });
      return app.request(path, { method: 'POST', headers, body });
    };
    const accrual = await post('/v1/partner/accruals', {
      orderId: newKey(),
      storeCode: setup.storeCode,
      amountMinor: 10_000,
      purchasedAt: new Date().toISOString(),
      member: { customerId: setup.customerIds[0] },
    });
    expect(accrual.status).toBe(200);
    const code = await app.request('/v1/me/pay-codes', {
      method: 'POST',
      headers: { authorization: `Bearer ${setup.memberSessions[1]}` },
    });
    const auth = await post('/v1/partner/redemptions/authorise', {
      payCode: ((await code.json()) as { code: string }).code,
      storeCode: setup.storeCode,
      orderId: newKey(),
      orderAmountMinor: 10_000,
      points: 10,
    });
    expect(auth.status).toBe(200);
    const capture = await post(
      `/v1/partner/redemptions/${((await auth.json()) as { holdId: string }).holdId}/capture`,
      {},
    );
    expect(await capture.json()).toMatchObject({ points: 10 });
  });
});
