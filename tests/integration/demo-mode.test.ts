import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import type { SignInMessage } from '../../members/index.ts';
import { openServices, type Services } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { createMember } from '../support/members.ts';

/** The hub as `npm run hub` starts it (no HUB_DEMO), and the same database in demo mode. */
let hub: TestHub;
let demo: Services;
beforeAll(async () => {
  hub = await createTestHub();
  demo = await openServices({ ...hub.config, demo: true }, { logger: hub.services.logger });
});
afterAll(async () => {
  await demo.close();
  await hub.close();
});

function askForCode(app: ReturnType<typeof createApp>, phone: string) {
  return app.request('/v1/member/sign-in/code', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ phone }),
  });
}

async function outboxRows(): Promise<number> {
  const row = await hub.services.db
    .selectFrom('member_outbox')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function paths(app: ReturnType<typeof createApp>): Promise<string[]> {
  const doc = (await (await app.request('/openapi.json')).json()) as { paths: object };
  return Object.keys(doc.paths);
}

describe('outside demo mode', () => {
  it('has no dev outbox: the path is unknown and absent from the API document', async () => {
    expect(hub.config.demo).toBe(false);
    const app = createApp(hub.services);
    const res = await app.request('/v1/dev/member-outbox');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await paths(app)).not.toContain('/v1/dev/member-outbox');
    expect(await paths(app)).toContain('/v1/member/sign-in/code');
  });

  it('refuses to send a code without a sender, keeping no code anywhere and counting nothing', async () => {
    const member = await createMember(hub.services);
    const app = createApp(hub.services);
    const before = await outboxRows();
    // More requests than the hourly limit: none of them counts, so none is 429.
    for (let i = 0; i < 7; i += 1) {
      const res = await askForCode(app, member.phone ?? '');
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({
        type: '/docs/problems#unavailable',
        reason: 'no_message_sender',
      });
    }
    expect(await outboxRows()).toBe(before);
    const keys = await hub.services.redis.keys(`${hub.config.redisKeyPrefix}:member:*`);
    expect(keys).toEqual([]);
  });

  it("sends codes through the operator's sender, never to the outbox", async () => {
    const member = await createMember(hub.services);
    const sent: SignInMessage[] = [];
    const app = createApp(hub.services, {
      signInSender: { send: async (message) => void sent.push(message) },
    });
    const before = await outboxRows();
    expect((await askForCode(app, member.phone ?? '')).status).toBe(202);
    expect(sent).toEqual([expect.objectContaining({ to: member.phone, memberId: member.id })]);
    expect(await outboxRows()).toBe(before);
    expect((await app.request('/v1/dev/member-outbox')).status).toBe(404);
  });
});

describe('in demo mode', () => {
  it('shows the codes it sent at /v1/dev/member-outbox, which the document lists', async () => {
    const member = await createMember(hub.services);
    const app = createApp(demo);
    expect((await askForCode(app, member.phone ?? '')).status).toBe(202);
    const res = await app.request(
      `/v1/dev/member-outbox?recipient=${encodeURIComponent(member.phone ?? '')}`,
    );
    expect(res.status).toBe(200);
    const { messages } = (await res.json()) as { messages: { body: string }[] };
    expect(messages[0]?.body).toMatch(/^Your sign-in code is [0-9]{6}\./);
    expect(await paths(app)).toContain('/v1/dev/member-outbox');
  });
});
