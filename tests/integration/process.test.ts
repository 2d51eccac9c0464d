import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { spawnHub as startHub, waitForLine } from '../support/hub-process.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(async () => {
  await hub.close();
});

describe('start-up with bad configuration', () => {
  it('stops with one line naming a malformed DATABASE_URL', async () => {
    const { exit } = startHub({ DATABASE_URL: 'not a url', REDIS_URL: hub.config.redisUrl });
    const result = await exit;
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      'alliance-hub: invalid configuration: DATABASE_URL must be a postgres:// URL',
    );
  });

  it('refuses demo mode when the gateway would listen beyond loopback', async () => {
    const { exit } = startHub({
      DATABASE_URL: hub.config.databaseUrl,
      REDIS_URL: hub.config.redisUrl,
      HUB_DEMO: '1',
      HOST: '0.0.0.0',
    });
    const result = await exit;
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'alliance-hub: invalid configuration: HUB_DEMO needs HOST on loopback (127.0.0.1, ::1 or localhost), not 0.0.0.0: demo mode shows every sign-in code',
    ]);
  });

  it('stops with one line naming an unreachable Redis', async () => {
    const { exit } = startHub({
      DATABASE_URL: hub.config.databaseUrl,
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    const result = await exit;
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'alliance-hub: cannot reach Redis at redis://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1',
    ]);
  });
});

describe('a running hub', () => {
  it('serves readiness, then on SIGTERM finishes and exits cleanly', async () => {
    const { child, exit } = startHub(
      {
        DATABASE_URL: hub.config.databaseUrl,
        REDIS_URL: hub.config.redisUrl,
        REDIS_KEY_PREFIX: hub.config.redisKeyPrefix,
        PORT: '0',
      },
      'all',
    );
    const started = JSON.parse(await waitForLine(child, /hub started/)) as { url: string };
    const ready = await fetch(`${started.url}/readyz`);
    expect(ready.status).toBe(200);

    child.kill('SIGTERM');
    const result = await exit;
    expect(result.code).toBe(0);
    await expect(fetch(`${started.url}/healthz`)).rejects.toThrow();
  });
});
