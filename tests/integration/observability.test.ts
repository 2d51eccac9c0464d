import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import { issueMemberSession } from '../../members/index.ts';
import {
  createLogger,
  enqueueJob,
  loadConfig,
  openServices,
  type RunningWorkers,
  type Services,
  startWorkers,
} from '../../platform/index.ts';
import { fromAddress } from '../support/clients.ts';
import { type CounterFixture, counterFixture } from '../support/counter.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { sampleSum, scrape } from '../support/metrics.ts';
import {
  idempotencyKey,
  newTestPartner,
  signedFetch,
  type TestApp,
  type TestPartner,
} from '../support/partners.ts';
import { waitFor } from '../support/wait.ts';

const logLines: string[] = [];
let hub: TestHub;
let services: Services;
let app: TestApp;
let partner: TestPartner;
let counter: CounterFixture;

beforeAll(async () => {
  hub = await createTestHub();
  const logger = createLogger('debug', {}, { write: (line: string) => void logLines.push(line) });
  services = await openServices(hub.config, { logger });
  app = createApp(services);
  partner = await newTestPartner(hub);
  counter = await counterFixture(hub, partner.partner.id, { members: 2, points: 10_000 });
});
afterAll(async () => {
  await counter.ledger.close();
  await services.close();
  await hub.close();
});

const accrual = (requestId?: string) =>
  signedFetch(hub, app, partner.key, {
    method: 'POST',
    path: '/v1/partner/accruals',
    body: counter.purchase(),
    idempotencyKey: idempotencyKey(),
    overrideHeaders: requestId ? { 'x-request-id': requestId } : {},
  });

const logged = () => logLines.map((l) => JSON.parse(l) as Record<string, unknown>);

describe('GET /metrics', () => {
  it('counts requests by route pattern and status, with latency, and the writers’ batches', async () => {
    const before = await scrape(app);
    for (let i = 0; i < 3; i += 1) expect((await accrual()).status).toBe(200);
    const holdId = await counter.authorise(10);
    const capture = await signedFetch(hub, app, partner.key, {
      method: 'POST',
      path: `/v1/partner/redemptions/${holdId}/capture`,
      body: {},
      idempotencyKey: idempotencyKey(),
    });
    expect(capture.status).toBe(200);
    const after = await scrape(app);
    const accruals = { method: 'POST', route: '/v1/partner/accruals', status: '200' };
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sampleSum(after, name, labels) - sampleSum(before, name, labels);
    expect(delta('hub_http_requests_total', accruals)).toBe(3);
    expect(delta('hub_http_request_duration_seconds_count', accruals)).toBe(3);
    expect(delta('hub_http_request_duration_seconds_bucket', { ...accruals, le: '+Inf' })).toBe(3);
    // The capture counts under its pattern; no series names a hold id.
    expect(
      delta('hub_http_requests_total', { route: '/v1/partner/redemptions/:holdId/capture' }),
    ).toBe(1);
    expect(after.some((s) => Object.values(s.labels).some((v) => v.includes(holdId)))).toBe(false);
    expect(delta('hub_ledger_batch_size_sum', { writer: 'purchases' })).toBe(3);
    expect(delta('hub_ledger_batch_commit_seconds_count', { writer: 'purchases' })).toBeGreaterThan(
      0,
    );
    expect(sampleSum(after, 'hub_ledger_writer_queued', { writer: 'purchases' })).toBe(0);
    expect(sampleSum(after, 'hub_db_pool_max')).toBeGreaterThan(0);
    expect(after.some((s) => s.name === 'nodejs_eventloop_lag_p99_seconds')).toBe(true);
    expect(after.some((s) => s.name === 'process_cpu_seconds_total')).toBe(true);
  });

  it('has every series the Grafana dashboard (load/grafana-dashboard.json) queries', async () => {
    const dashboard = await readFile(
      new URL('../../load/grafana-dashboard.json', import.meta.url),
      'utf8',
    );
    const names = new Set(
      [...dashboard.matchAll(/\b((?:hub|nodejs|process)_[a-z0-9_]+)/g)].map((m) =>
        (m[1] ?? '').replace(/_(bucket|sum|count)$/, ''),
      ),
    );
    // Declared metrics, observed yet or not (a labelled counter shows only its TYPE line first).
    const text = await (await app.request('/metrics', {}, fromAddress('127.0.0.1'))).text();
    const scraped = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]));
    expect([...names].filter((n) => !scraped.has(n))).toEqual([]);
    expect(names.size).toBeGreaterThan(10);
  });

  it('counts refused signatures by reason', async () => {
    const before = await scrape(app);
    const forged = await signedFetch(hub, app, partner.key, {
      method: 'POST',
      path: '/v1/partner/accruals',
      body: counter.purchase(),
      signedBody: '{"tampered":true}',
      idempotencyKey: idempotencyKey(),
    });
    expect(forged.status).toBe(401);
    const stale = await signedFetch(hub, app, partner.key, {
      method: 'GET',
      path: '/v1/partner/me',
      timestamp: Math.floor(Date.now() / 1000) - 3600,
    });
    expect(stale.status).toBe(401);
    const after = await scrape(app);
    const refused = (reason: string) =>
      sampleSum(after, 'hub_signature_refusals_total', { reason }) -
      sampleSum(before, 'hub_signature_refusals_total', { reason });
    expect(refused('bad_signature')).toBe(1);
    expect(refused('timestamp_skew')).toBe(1);
  });

  it('shows BullMQ queue depths, job durations and failures', async () => {
    let runs = 0;
    const workers: RunningWorkers = await startWorkers(services, [
      {
        queue: 'observed',
        process: async () => {
          runs += 1;
          if (runs === 1) throw new Error('first run fails');
        },
      },
    ]);
    try {
      await enqueueJob(services, 'observed', {});
      await waitFor('the job to fail once and then complete', async () => {
        const s = await scrape(app);
        const done = sampleSum(s, 'hub_job_duration_seconds_count', {
          queue: 'observed',
          outcome: 'completed',
        });
        return done >= 1 ? s : undefined;
      });
      const s = await scrape(app);
      expect(sampleSum(s, 'hub_job_failures_total', { queue: 'observed' })).toBe(1);
      expect(s.some((x) => x.name === 'hub_queue_jobs' && x.labels.queue === 'observed')).toBe(
        true,
      );
    } finally {
      await workers.stop();
    }
  });

  it('is refused to callers off this machine unless they hold METRICS_TOKEN', async () => {
    expect((await app.request('/metrics', {}, fromAddress('203.0.113.9'))).status).toBe(403);
    const token = 'm'.repeat(40);
    const withToken = createApp({
      ...services,
      config: { ...services.config, metricsToken: token },
    });
    const remote = fromAddress('203.0.113.9');
    expect((await withToken.request('/metrics', {}, remote)).status).toBe(403);
    const bearer = { headers: { authorization: `Bearer ${token}` } };
    expect((await withToken.request('/metrics', bearer, remote)).status).toBe(200);
    const wrong = { headers: { authorization: `Bearer ${'x'.repeat(40)}` } };
    expect((await withToken.request('/metrics', wrong, fromAddress('127.0.0.1'))).status).toBe(403);
    // Behind a reverse proxy every caller looks local: loopback alone is no longer enough.
    const proxied = createApp({ ...services, config: { ...services.config, trustProxyHops: 1 } });
    expect((await proxied.request('/metrics', {}, fromAddress('127.0.0.1'))).status).toBe(403);
  });

  it('rejects a METRICS_TOKEN too short to be a secret', () => {
    expect(() => loadConfig({ ...process.env, METRICS_TOKEN: 'short', NODE_ENV: 'test' })).toThrow(
      /METRICS_TOKEN/,
    );
  });
});

describe('GET /live', () => {
  it('is a self-contained page that runs only its own script, reading /metrics', async () => {
    const res = await app.request('/live');
    expect(res.status).toBe(200);
    const page = await res.text();
    const nonce = /script-src 'nonce-([^']+)'/.exec(
      res.headers.get('content-security-policy') ?? '',
    );
    expect(nonce?.[1]).toBeDefined();
    expect(page).toContain(`<script nonce="${nonce?.[1]}">`);
    expect(page).toContain("fetch('/metrics'");
    expect(page).not.toMatch(/<script[^>]+src=/);
  });
});

describe('request ids and log lines', () => {
  it('keeps a well-formed X-Request-Id, echoes it, and logs it with the partner id', async () => {
    const res = await accrual('till-42-abc');
    expect(res.headers.get('x-request-id')).toBe('till-42-abc');
    const line = logged().find(
      (l) => l.requestId === 'till-42-abc' && l.msg === 'request answered',
    );
    expect(line).toMatchObject({ partnerId: partner.partner.id, status: '200' });
  });

  it('makes a new id for a malformed one', async () => {
    const res = await accrual('bad id with spaces');
    const id = res.headers.get('x-request-id') ?? '';
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('logs the member id on a member’s own request, never their session', async () => {
    const { token } = await issueMemberSession(hub.services, counter.members[0]?.memberId ?? '');
    const res = await app.request('/v1/me', {
      headers: { authorization: `Bearer ${token}`, 'x-request-id': 'app-7' },
    });
    expect(res.status).toBe(200);
    const line = logged().find((l) => l.requestId === 'app-7');
    expect(line).toMatchObject({ memberId: counter.members[0]?.memberId });
    expect(logLines.join('\n')).not.toContain(token);
  });

  it('carries the request id into the job it causes', async () => {
    const workers = await startWorkers(services, [
      { queue: 'caused', process: async (s) => void s.logger.info('job ran') },
    ]);
    try {
      await enqueueJob(services, 'caused', { what: 'x' }, { requestId: 'req-from-gateway' });
      const line = await waitFor('the job to log', async () =>
        logged().find((l) => l.msg === 'job ran'),
      );
      expect(line).toMatchObject({ requestId: 'req-from-gateway', queue: 'caused' });
    } finally {
      await workers.stop();
    }
  });
});

describe('GET /readyz', () => {
  it('turns unready while the process drains', async () => {
    expect((await app.request('/readyz')).status).toBe(200);
    services.lifecycle.draining = true;
    try {
      const res = await app.request('/readyz');
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ checks: { process: 'draining' } });
    } finally {
      services.lifecycle.draining = false;
    }
  });
});
