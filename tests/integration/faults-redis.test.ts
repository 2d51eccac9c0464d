import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import type { Ledger } from '../../ledger/index.ts';
import { issueMemberSession } from '../../members/index.ts';
import {
  isRedisUnavailable,
  type JobDefinition,
  newId,
  startWorkers,
} from '../../platform/index.ts';
import { type CounterFixture, counterFixture } from '../support/counter.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { expectSoundLedger, ledgerFor } from '../support/ledger.ts';
import {
  idempotencyKey,
  newTestPartner,
  type SignedCall,
  signedFetch,
  staffToken,
  type TestApp,
  type TestPartner,
} from '../support/partners.ts';
import { stopChildren } from '../support/processes.ts';
import { startTestRedis, type TestRedis } from '../support/redis-server.ts';
import { waitFor } from '../support/wait.ts';

/**
 * Redis going away under a running hub, and coming back empty. The hub's Redis here is one of
 * this file's own, so that stopping it touches no other test.
 */

const answerWithinMs = 3_000;

let redis: TestRedis;
let hub: TestHub;
let app: TestApp;
let ledger: Ledger;
let alice: TestPartner;
let counter: CounterFixture;
let memberToken: string;
let financeToken: string;
let adminToken: string;

beforeAll(async () => {
  redis = await startTestRedis();
  hub = await createTestHub({ env: { REDIS_URL: redis.url } });
  ledger = ledgerFor(hub);
  app = createApp(hub.services, { ledger });
  alice = await newTestPartner(hub);
  counter = await counterFixture(hub, alice.partner.id, { members: 3, points: 1_000 });
  memberToken = (await issueMemberSession(hub.services, counter.members[0]?.memberId ?? '')).token;
  financeToken = await staffToken(hub, 'finance');
  adminToken = await staffToken(hub, 'admin');
});
afterAll(async () => {
  try {
    // The test hub deletes its Redis keys on close: it needs its Redis up for that.
    if (redis && !redis.running()) await redis.start();
    await waitFor('the hub to reach Redis', async () => {
      return (await hub?.services.redis.ping()) === 'PONG';
    });
    await ledger?.close();
    await hub?.close();
  } finally {
    // Even when closing failed, no Redis of this file outlives it.
    await stopChildren();
  }
});

type Answer = { status: number; type?: string; ms: number; replayed: boolean };

async function answer(request: () => Promise<Response>): Promise<Answer> {
  const startedMs = Date.now();
  const res = await request();
  const body = (await res.json().catch(() => ({}))) as { type?: string };
  return {
    status: res.status,
    type: body.type,
    ms: Date.now() - startedMs,
    replayed: res.headers.get('idempotent-replayed') === 'true',
  };
}

const partner = (call: SignedCall) => () => signedFetch(hub, app, alice.key, call);

function asMember(method: 'GET' | 'POST', path: string, body?: unknown) {
  return async () =>
    app.request(path, {
      method,
      headers: { authorization: `Bearer ${memberToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
}

function asStaff(path: string, token: string) {
  return async () => app.request(path, { headers: { authorization: `Bearer ${token}` } });
}

function accrual(customerId: string): SignedCall {
  return {
    method: 'POST',
    path: '/v1/partner/accruals',
    idempotencyKey: idempotencyKey(),
    body: counter.purchase({ amountMinor: 5_000, member: { customerId } }),
  };
}

async function pointsOf(member: number): Promise<number> {
  return (await ledger.memberPoints(counter.members[member]?.memberId ?? '')).balance;
}

it('while Redis is down: partner calls, sign-in and pay codes get a quick 503; staff, finance and members’ own reads go on; back by itself', async () => {
  const customerId = counter.members[1]?.customerId ?? '';
  const before = await pointsOf(1);
  const refused = accrual(customerId);
  await redis.stop();
  let refusedFast: Answer[];
  let goingOn: Answer[];
  try {
    refusedFast = [
      await answer(partner({ method: 'GET', path: '/v1/partner/me' })),
      await answer(partner(refused)),
      await answer(asMember('POST', '/v1/me/pay-codes')),
      await answer(async () =>
        app.request('/v1/member/sign-in/code', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ phone: '+8613800009999' }),
        }),
      ),
    ];
    goingOn = [
      await answer(asStaff('/v1/finance/periods', financeToken)),
      await answer(asStaff('/v1/admin/partners', adminToken)),
      await answer(asMember('GET', '/v1/me')),
      await answer(asMember('GET', '/v1/me/activity')),
      await answer(asMember('GET', '/v1/me/benefits')),
    ];
  } finally {
    await redis.start();
  }
  for (const a of refusedFast) {
    expect(a).toMatchObject({ status: 503, type: '/docs/problems#unavailable' });
    expect(a.ms).toBeLessThan(answerWithinMs);
  }
  for (const a of goingOn) expect(a.status).toBe(200);
  expect(await pointsOf(1)).toBe(before);

  // The same hub reconnects by itself; the refused accrual, sent again, applies once.
  await waitFor('partner calls to be accepted again', async () => {
    return (await answer(partner({ method: 'GET', path: '/v1/partner/me' }))).status === 200;
  });
  expect((await answer(partner({ ...refused, idempotencyKey: idempotencyKey() }))).status).toBe(
    200,
  );
  expect(await pointsOf(1)).toBe(before + 50);
  await expectSoundLedger(ledger);
});

it('a Redis that hangs (connections open, nothing answered) is refused as fast as one that is gone', async () => {
  redis.pause();
  let answers: Answer[];
  try {
    answers = await Promise.all([
      answer(partner({ method: 'GET', path: '/v1/partner/me' })),
      answer(asMember('POST', '/v1/me/pay-codes')),
    ]);
  } finally {
    redis.resume();
  }
  for (const a of answers) {
    expect(a).toMatchObject({ status: 503, type: '/docs/problems#unavailable' });
    expect(a.ms).toBeLessThan(answerWithinMs);
  }
  await waitFor('partner calls to be accepted again', async () => {
    return (await answer(partner({ method: 'GET', path: '/v1/partner/me' }))).status === 200;
  });
});

it('a request replayed after Redis came back empty (its nonce forgotten) is not applied twice', async () => {
  const call: SignedCall = {
    ...accrual(counter.members[2]?.customerId ?? ''),
    nonce: `nonce-${newId()}`,
    timestamp: Math.floor(Date.now() / 1000),
  };
  const before = await pointsOf(2);
  expect((await answer(partner(call))).status).toBe(200);

  await redis.stop();
  await redis.start();
  const replay = await waitFor('the hub to reach the new Redis', async () => {
    const a = await answer(partner(call));
    return a.status === 503 ? undefined : a;
  });
  // The nonce is gone with Redis's data; the stored answer to the Idempotency-Key is not.
  expect(replay).toMatchObject({ status: 200, replayed: true });
  expect(await pointsOf(2)).toBe(before + 50);
  await expectSoundLedger(ledger);
});

it('scheduled jobs run again once Redis is back, even with its data gone', async () => {
  let runs = 0;
  const definition: JobDefinition = {
    queue: `test-tick-${newId().slice(-8)}`,
    schedule: { everyMs: 200 },
    process: async () => {
      runs += 1;
    },
  };
  const workers = await startWorkers(hub.services, [definition]);
  try {
    await waitFor('the scheduled job to run', () => runs > 0);
    await redis.stop();
    await redis.start();
    const runsBefore = runs;
    await waitFor('the scheduled job to run again', () => runs > runsBefore, 15_000);
  } finally {
    await workers.stop();
  }
});

it('tells a Redis that is not there from a bug: the errors ioredis gives then count as unavailable', async () => {
  await redis.stop();
  try {
    const error = await hub.services.redis.get('any').catch((e: unknown) => e);
    expect(isRedisUnavailable(error)).toBe(true);
    expect(isRedisUnavailable(new Error('ERR wrong number of arguments'))).toBe(false);
  } finally {
    await redis.start();
  }
});
