import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import { manualClock } from '../../platform/index.ts';
import { createPartnerClient } from '../../sdk/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { newTestPartner, type TestApp, uniqueCode } from '../support/partners.ts';

const clock = manualClock(new Date('2026-11-25T08:00:00Z'));
let hub: TestHub;
let app: TestApp;
beforeAll(async () => {
  hub = await createTestHub({ clock });
  app = createApp(hub.services);
});
afterAll(async () => {
  await hub.close();
});

describe('partner SDK', () => {
  it('signs calls the hub accepts, and a retried POST gets the first answer', async () => {
    const { key, partner } = await newTestPartner(hub, { alg: 'ES256' });
    const client = createPartnerClient({
      baseUrl: 'http://hub.test/',
      key,
      fetch: (url, init) => app.request(url, init),
      now: () => Math.floor(clock.now().getTime() / 1000),
    });
    expect(await (await client.get('/v1/partner/me')).json()).toMatchObject({ id: partner.id });
    const body = { code: uniqueCode('S'), name: 'SDK store' };
    const first = await client.post('/v1/partner/stores', body, 'sdk-order-1');
    const retry = await client.post('/v1/partner/stores', body, 'sdk-order-1');
    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(await retry.text()).toBe(await first.text());
  });

  it('imports nothing from the server', () => {
    const dir = fileURLToPath(new URL('../../sdk/', import.meta.url));
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(`${dir}${file}`, 'utf8');
      const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1] ?? '');
      for (const spec of imports)
        expect(spec, `${file} imports ${spec}`).toMatch(/^(node:|jose$|\.\/)/);
    }
  });
});
