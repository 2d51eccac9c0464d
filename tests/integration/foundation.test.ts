import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDomains } from '../../domains.ts';
import { createApp } from '../../gateway/index.ts';
import { migrateDownOne, migrateToLatest, pendingMigrations } from '../../platform/index.ts';
import { seedDemoAlliance } from '../../scripts/demo-alliance.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(async () => {
  await hub.close();
});

describe('health and readiness', () => {
  it('answers /healthz without touching dependencies', async () => {
    const res = await createApp(hub.services).request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'alive' });
  });

  it('is ready when PostgreSQL and Redis answer and migrations are current', async () => {
    const res = await createApp(hub.services).request('/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ready',
      checks: { process: 'ok', postgres: 'ok', redis: 'ok', migrations: 'ok' },
    });
  });

  it('is not ready while a migration is pending, and says which', async () => {
    const undone = await migrateDownOne(hub.services.db);
    try {
      const res = await createApp(hub.services).request('/readyz');
      expect(res.status).toBe(503);
      const body = (await res.json()) as { checks: { migrations: string } };
      expect(body.checks.migrations).toMatch(/^pending: /);
      expect(await pendingMigrations(hub.services.db)).toHaveLength(undone.length);
    } finally {
      await migrateToLatest(hub.services.db);
    }
    expect(await pendingMigrations(hub.services.db)).toEqual([]);
  });
});

describe('errors', () => {
  it('answers an unknown route with problem+json carrying the request id', async () => {
    const res = await createApp(hub.services).request('/v1/nothing-here', {
      headers: { 'x-request-id': 'req-123' },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({
      type: '/docs/problems#not_found',
      status: 404,
      requestId: 'req-123',
    });
  });
});

describe('demo alliance', () => {
  it('seeds partners and members once, however often it runs', async () => {
    const first = await seedDemoAlliance(hub.services, await openDomains(hub.services));
    const second = await seedDemoAlliance(hub.services, await openDomains(hub.services));
    expect(first.partners).toBeGreaterThanOrEqual(3);
    expect(first.members).toBeGreaterThanOrEqual(3);
    expect(second).toEqual(first);
  });
});
