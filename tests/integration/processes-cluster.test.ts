import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { type HubProcess, startHubProcess } from '../support/hub-process.ts';
import { acknowledged, runLoadScript } from '../support/load-runner.ts';
import { parseMetrics, sampleSum } from '../support/metrics.ts';

/**
 * `serve` as two processes on one port (HUB_PROCESSES=2), under load from the scripts: the
 * audit must pass (nothing lost, nothing applied twice, the ledger sound), each process must
 * have written its own range of the issuers' shards, and /metrics must show both.
 */
let hub: TestHub;
let server: HubProcess;
let dir: string;
beforeAll(async () => {
  hub = await createTestHub();
  server = await startHubProcess(hub, { HUB_PROCESSES: '2' }, 'serve');
  dir = await mkdtemp(join(tmpdir(), 'hub-cluster-'));
});
afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exit;
  await rm(dir, { recursive: true, force: true });
  await hub.close();
});

describe('two hub processes on one port', () => {
  it('serve a load run that the audit passes, each writing its own shards', async () => {
    const run = await runLoadScript(hub, server.url, 'load/accrual.js', {
      setupFile: join(dir, 'load-setup.json'),
      env: { RATE: '40', DURATION: '4s', SCALE: '1' },
    });
    expect(run.output).toContain('█ AUDIT (passed)');
    expect(run.code).toBe(0);
    const accrued = acknowledged(run.output, 'accruals');
    expect(accrued).toBeGreaterThan(100);
    // The issuers' partner_issued shards that moved: process 0 owns 0-31, process 1 owns 32-63.
    const shards = await hub.services.db
      .selectFrom('ledger_accounts')
      .select('shard')
      .where('kind', '=', 'partner_issued')
      .where('balance', '<>', 0)
      .execute();
    const used = shards.map((s) => s.shard);
    expect(used.some((s) => s < 32)).toBe(true);
    expect(used.some((s) => s >= 32)).toBe(true);
    // One scrape shows every process's requests, summed.
    const res = await fetch(`${server.url}/metrics`);
    const metrics = parseMetrics(await res.text());
    const route = { method: 'POST', route: '/v1/partner/accruals', status: '200' };
    expect(sampleSum(metrics, 'hub_http_requests_total', route)).toBe(accrued);
    expect(sampleSum(metrics, 'hub_db_pool_max')).toBe(2 * hub.config.databasePoolMax);
  });

  it('runs the till’s two-phase and one-step redemptions and refunds correctly', async () => {
    const run = await runLoadScript(hub, server.url, 'load/till.js', {
      setupFile: join(dir, 'load-setup.json'),
      env: { SCALE: '0.3', DURATION: '3s' },
    });
    expect(run.output).toContain('█ AUDIT (passed)');
    expect(acknowledged(run.output, 'captures')).toBeGreaterThan(0);
    expect(run.code).toBe(0);
  });

  it('stops every process on SIGTERM', async () => {
    server.child.kill('SIGTERM');
    const exit = await server.exit;
    expect(exit.code).toBe(0);
    // Nobody listens any more: both processes have closed the shared port.
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});
