import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Domains, openDomains } from '../../domains.ts';
import { createApp } from '../../gateway/index.ts';
import { base64url, importSigningKey, newKey, signRequest, utf8 } from '../../load/lib/hub.js';
import { type LoadSetup, prepareLoad } from '../../scripts/load-setup.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { type HubProcess, startHubProcess } from '../support/hub-process.ts';
import { acknowledged, runLoadScript } from '../support/load-runner.ts';

let hub: TestHub;
let domains: Domains;
let setup: LoadSetup;
let server: HubProcess;
let dir: string;
beforeAll(async () => {
  hub = await createTestHub();
  domains = await openDomains(hub.services);
  setup = await prepareLoad(hub.services, domains, 2);
  // The work role too: the mixed day runs beside the background jobs.
  server = await startHubProcess(hub, {}, 'all');
  dir = await mkdtemp(join(tmpdir(), 'hub-load-'));
});
afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exit;
  await rm(dir, { recursive: true, force: true });
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

describe('npm run load: each script, a few seconds, then the audit', () => {
  const run = (script: string) =>
    runLoadScript(hub, server.url, script, { setupFile: join(dir, 'load-setup.json') });

  it('accrual.js: single accruals at a constant rate, every one in the ledger once', async () => {
    const { code, output } = await run('load/accrual.js');
    expect(output).toContain('█ TOTAL RESULTS');
    expect(output).toMatch(/✓ accrued \(200\)/);
    expect(output).toContain('█ AUDIT (passed)');
    expect(acknowledged(output, 'accruals')).toBeGreaterThan(0);
    expect(code).toBe(0);
  });

  it('batch-accrual.js: batches, each purchase accrued once', async () => {
    const { code, output } = await run('load/batch-accrual.js');
    expect(output).toContain('█ AUDIT (passed)');
    expect(acknowledged(output, 'accruals')).toBeGreaterThanOrEqual(100);
    expect(code).toBe(0);
  });

  it('till.js: pay code, authorise, capture; one-step redemptions; refunds', async () => {
    const { code, output } = await run('load/till.js');
    expect(output).toContain('█ AUDIT (passed)');
    for (const what of ['captures', 'redemptions', 'refunds'])
      expect(acknowledged(output, what)).toBeGreaterThan(0);
    expect(code).toBe(0);
  });

  it('member-peak.js: a ramping arrival rate of member visits', async () => {
    const { code, output } = await run('load/member-peak.js');
    expect(output).toContain('█ AUDIT (passed)');
    expect(output).toMatch(/✓ member sees their points \(200\)/);
    expect(acknowledged(output, 'accruals')).toBeGreaterThan(0);
    expect(code).toBe(0);
  });

  it('mixed-day.js: every flow at once, k6’s summary, the audit', async () => {
    const { code, output } = await run('load/mixed-day.js');
    expect(output).toMatch(/http_req_duration\.+: avg=/);
    expect(output).toContain('█ AUDIT (passed)');
    expect(output).toContain('verify: holds');
    expect(code).toBe(0);
  });
});
