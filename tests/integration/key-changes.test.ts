import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import { listenForPartnerChanges, type PartnerChangeListener } from '../../partners/index.ts';
import { openServices, type Services } from '../../platform/index.ts';
import { counterFixture } from '../support/counter.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { newTestPartner, signedFetch, staffToken, uniqueCode } from '../support/partners.ts';

/** Two gateway processes on one database: each has its own key cache. */
let hub: TestHub;
let other: Services;
let listener: PartnerChangeListener;
const heard: string[] = [];
let onHeard: () => void = () => {};

beforeAll(async () => {
  hub = await createTestHub();
  other = await openServices(hub.config, { logger: hub.services.logger });
  listener = await listenForPartnerChanges(other, (partnerId) => {
    heard.push(partnerId);
    onHeard();
  });
});
afterAll(async () => {
  await listener.close();
  await other.close();
  await hub.close();
});

describe('key revocation across processes', () => {
  it("reaches another process's key cache without waiting for it to expire", async () => {
    const { partner, key } = await newTestPartner(hub);
    const otherApp = createApp(other);
    const me = () => signedFetch(hub, otherApp, key, { method: 'GET', path: '/v1/partner/me' });
    expect((await me()).status).toBe(200); // the other process now holds the key in memory

    const token = await staffToken(hub);
    const announced = new Promise<void>((resolve) => {
      onHeard = () => {
        if (heard.includes(partner.id)) resolve();
      };
    });
    const revoked = await createApp(hub.services).request(
      `/v1/admin/partners/${partner.id}/keys/${key.kid}/revoke`,
      { method: 'POST', headers: { authorization: `Bearer ${token}` } },
    );
    expect(revoked.status).toBe(200);
    await announced;
    expect((await me()).status).toBe(401);
  });
});

describe('earn rule changes across processes', () => {
  it("reach another process's counter without waiting for its copy of the rules to expire", async () => {
    const { partner, key } = await newTestPartner(hub);
    const counter = await counterFixture(hub, partner.id, { members: 1, points: 0 });
    const otherApp = createApp(other);
    const accrue = async () => {
      const answer = await signedFetch(hub, otherApp, key, {
        method: 'POST',
        path: '/v1/partner/accruals',
        body: counter.purchase({ amountMinor: 10_000 }),
        idempotencyKey: uniqueCode('idem'),
      });
      expect(answer.status).toBe(200);
      return ((await answer.json()) as { points: number }).points;
    };
    // The other process now holds the default rule (1 point per CNY) in memory.
    expect(await accrue()).toBe(100);

    const token = await staffToken(hub);
    const announced = new Promise<void>((resolve) => {
      onHeard = () => {
        if (heard.includes(partner.id)) resolve();
      };
    });
    const changed = await createApp(hub.services).request(
      `/v1/admin/partners/${partner.id}/rules/earn`,
      {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ pointsPerMinor: '0.02' }),
      },
    );
    expect(changed.status).toBe(200);
    await announced;
    expect(await accrue()).toBe(200);
  });
});
