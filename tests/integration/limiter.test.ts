import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import { verifyLedger } from '../../ledger/index.ts';
import { issuePayCode, payCodeFailuresMax, readPayCode } from '../../members/index.ts';
import {
  AppError,
  giveBackLimits,
  type Limit,
  limitAttempt,
  limitPolicy,
  manualClock,
  newId,
  takeLimits,
} from '../../platform/index.ts';
import { type CounterFixture, counterFixture } from '../support/counter.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { createMember } from '../support/members.ts';
import {
  idempotencyKey,
  newTestPartner,
  signedFetch,
  type TestApp,
  type TestPartner,
  uniqueCode,
} from '../support/partners.ts';

const clock = manualClock(new Date('2026-06-01T08:00:00Z'));
let hub: TestHub;

beforeAll(async () => {
  hub = await createTestHub({ clock });
});
afterAll(async () => {
  await hub.close();
});

/** A policy of its own and a subject nobody else uses, so each test starts with a full bucket. */
function freshLimit(limit: number, windowMs = 60_000, whenUnavailable: 'open' | 'closed' = 'open') {
  const policy = limitPolicy({ name: `test-${limit}`, limit, windowMs, whenUnavailable });
  return { policy, subject: newId() } satisfies Limit;
}

describe('the limiter', () => {
  it('never lets concurrent takes past the limit', async () => {
    const limit = freshLimit(50);
    const decisions = await Promise.all(
      Array.from({ length: 200 }, () => takeLimits(hub.services, [limit])),
    );
    const allowed = decisions.filter((d) => d.allowed);
    expect(allowed).toHaveLength(50);
    // Each allowed take saw a different count: no two read the same state.
    expect(new Set(allowed.map((d) => d.remaining)).size).toBe(50);
    expect(decisions.filter((d) => !d.allowed).every((d) => d.retryAfterMs > 0)).toBe(true);
  });

  it('gives one unit back every window / limit, on the hub clock', async () => {
    const limit = freshLimit(10);
    for (let i = 0; i < 10; i++)
      expect((await takeLimits(hub.services, [limit])).allowed).toBe(true);
    const refused = await takeLimits(hub.services, [limit]);
    expect(refused).toMatchObject({ allowed: false, retryAfterMs: 6_000, refusedBy: limit.policy });
    clock.advanceMs(6_000);
    expect((await takeLimits(hub.services, [limit])).allowed).toBe(true);
    expect((await takeLimits(hub.services, [limit])).allowed).toBe(false);
  });

  it('charges every limit of one call or none', async () => {
    const roomy = freshLimit(5);
    const full = freshLimit(1);
    await takeLimits(hub.services, [full]);
    expect(await takeLimits(hub.services, [roomy, full])).toMatchObject({
      allowed: false,
      refusedBy: full.policy,
    });
    // The refused call took nothing from the limit that had room.
    expect(await takeLimits(hub.services, [roomy])).toMatchObject({ allowed: true, remaining: 4 });
  });

  it('takes back what was given back, and never more than a full bucket', async () => {
    const limit = freshLimit(3);
    await giveBackLimits(hub.services, [limit]);
    const takes = await Promise.all(
      Array.from({ length: 5 }, () => takeLimits(hub.services, [limit])),
    );
    expect(takes.filter((d) => d.allowed)).toHaveLength(3);
    await giveBackLimits(hub.services, [limit]);
    expect(await takeLimits(hub.services, [limit])).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('compares at most `limit` concurrent guesses, and a right one does not count', async () => {
    const limit = freshLimit(10, 60_000, 'closed');
    let compared = 0;
    const guess = (right: boolean) =>
      limitAttempt(
        hub.services,
        [limit],
        async () => {
          compared += 1;
          if (!right) throw new AppError('pay_code_invalid');
          return 'ok';
        },
        {
          isFailure: (e) => e instanceof AppError && e.type === 'pay_code_invalid',
          detail: () => 'too many',
        },
      );
    for (let i = 0; i < 20; i++) expect(await guess(true)).toBe('ok');
    const outcomes = await Promise.allSettled(Array.from({ length: 60 }, () => guess(false)));
    expect(compared).toBe(30);
    const types = outcomes.map((o) => (o.status === 'rejected' ? o.reason.type : 'ok'));
    expect(types.filter((t) => t === 'pay_code_invalid')).toHaveLength(10);
    expect(types.filter((t) => t === 'rate_limited')).toHaveLength(50);
  });

  it('fails closed or open, as each policy says, when Redis does not answer', async () => {
    const unreachable = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    unreachable.on('error', () => {});
    const deps = { ...hub.services, redis: unreachable };
    try {
      await expect(takeLimits(deps, [freshLimit(5, 60_000, 'closed')])).rejects.toMatchObject({
        type: 'unavailable',
      });
      expect(await takeLimits(deps, [freshLimit(5, 60_000, 'open')])).toMatchObject({
        allowed: true,
      });
      // One closed limit among open ones closes the call.
      await expect(
        takeLimits(deps, [freshLimit(5, 60_000, 'open'), freshLimit(5, 60_000, 'closed')]),
      ).rejects.toMatchObject({ type: 'unavailable' });
    } finally {
      unreachable.disconnect();
    }
  });
});

describe('pay-code guesses', () => {
  it('concurrent guesses from one caller get exactly payCodeFailuresMax comparisons', async () => {
    const caller = newId();
    const guesses = Array.from({ length: 60 }, (_, i) =>
      readPayCode(hub.services, `89${String(i).padStart(16, '7')}`, caller),
    );
    const outcomes = await Promise.allSettled(guesses);
    const types = outcomes.map((o) =>
      o.status === 'rejected' ? o.reason.type : o.value === undefined ? 'miss' : 'hit',
    );
    expect(types.filter((t) => t === 'miss')).toHaveLength(payCodeFailuresMax);
    expect(types.filter((t) => t === 'rate_limited')).toHaveLength(60 - payCodeFailuresMax);
  });

  it('good codes use up nothing, however many a caller presents at once', async () => {
    const caller = newId();
    // Two members, since one may ask for 20 codes a minute.
    const members = [await createMember(hub.services), await createMember(hub.services)];
    const codes = [];
    for (let round = 0; round < 15; round++) {
      for (const member of members)
        codes.push({ memberId: member.id, ...(await issuePayCode(hub.services, member.id)) });
    }
    const latest = codes.slice(-2);
    const read = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        readPayCode(hub.services, latest[i % 2]?.code ?? '', caller),
      ),
    );
    expect(read.map((r) => r?.memberId)).toEqual(
      Array.from({ length: 30 }, (_, i) => latest[i % 2]?.memberId),
    );
    for (let i = 0; i < payCodeFailuresMax; i++) {
      expect(
        await readPayCode(hub.services, `89${String(i).padStart(16, '5')}`, caller),
      ).toBeUndefined();
    }
    await expect(readPayCode(hub.services, latest[0]?.code ?? '', caller)).rejects.toMatchObject({
      type: 'rate_limited',
    });
  });
});

describe('pay-code guesses at the counter, over HTTP', () => {
  let app: TestApp;
  let partner: TestPartner;
  let counter: CounterFixture;

  beforeAll(async () => {
    app = createApp(hub.services);
    partner = await newTestPartner(hub);
    counter = await counterFixture(hub, partner.partner.id, { members: 2, points: 1_000 });
  });
  afterEach(async () => {
    expect(await verifyLedger(hub.services.db)).toEqual([]);
  });

  async function authorise(payCode: string) {
    const res = await signedFetch(hub, app, partner.key, {
      method: 'POST',
      path: '/v1/partner/redemptions/authorise',
      body: {
        payCode,
        storeCode: counter.storeCode,
        orderId: uniqueCode('R'),
        orderAmountMinor: 10_000,
        points: 10,
      },
      idempotencyKey: idempotencyKey(),
    });
    return { res, body: (await res.json()) as { type?: string; holdId?: string } };
  }

  it('answers 60 concurrent wrong codes with exactly payCodeFailuresMax pay_code_invalid, then refuses a good code without using it', async () => {
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => authorise(`89${String(i).padStart(16, '3')}`)),
    );
    const types = answers.map((a) => a.body.type);
    expect(types.filter((t) => t === '/docs/problems#pay_code_invalid')).toHaveLength(
      payCodeFailuresMax,
    );
    const limited = answers.filter((a) => a.res.status === 429);
    expect(limited).toHaveLength(60 - payCodeFailuresMax);
    expect(limited.every((a) => Number(a.res.headers.get('retry-after')) >= 1)).toBe(true);

    const good = await counter.payCode();
    const refused = await authorise(good.code);
    expect(refused.res.status).toBe(429);
    expect(refused.body.type).toBe('/docs/problems#rate_limited');
    expect(await counter.ledger.memberPoints(good.memberId)).toMatchObject({ held: 0 });

    // One failure's worth of time later the same code still works: it was never compared.
    clock.advanceMs(60_000 / payCodeFailuresMax);
    const accepted = await authorise(good.code);
    expect(accepted.res.status).toBe(200);
    expect(await counter.ledger.memberPoints(good.memberId)).toMatchObject({ held: 10 });
  });
});
