import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import { issueMemberSession } from '../../members/index.ts';
import { manualClock } from '../../platform/index.ts';
import { type CounterFixture, counterFixture } from '../support/counter.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { expectSoundLedger } from '../support/ledger.ts';
import {
  idempotencyKey,
  newTestPartner,
  signedFetch,
  type TestApp,
  type TestPartner,
} from '../support/partners.ts';

// A till's clock may run up to five minutes ahead of the hub's. A purchase stamped a little
// ahead lifts the member's tier at once, as any other does, and the member's own view says so
// at once: the tier is never left behind the growth value that should have set it.

// Ten seconds before a month ends (UTC): a purchase stamped ahead falls in the next month.
const clock = manualClock(new Date('2026-11-30T23:59:50Z'));
let hub: TestHub;
let app: TestApp;
let alice: TestPartner;
let till: CounterFixture;

beforeAll(async () => {
  hub = await createTestHub({ clock });
  app = createApp(hub.services);
  alice = await newTestPartner(hub);
  till = await counterFixture(hub, alice.partner.id, { members: 4, points: 0 });
});
afterEach(async () => {
  await expectSoundLedger(till.ledger);
});
afterAll(async () => {
  await hub.close();
});

const member = (i: number) => {
  const m = till.members[i];
  if (!m) throw new Error(`no member ${i}`);
  return m;
};

const secondsAhead = (seconds: number) =>
  new Date(clock.now().getTime() + seconds * 1_000).toISOString();

async function post(path: string, body: unknown) {
  const res = await signedFetch(hub, app, alice.key, {
    method: 'POST',
    path,
    body,
    idempotencyKey: idempotencyKey(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function myTier(memberId: string) {
  const { token } = await issueMemberSession(hub.services, memberId);
  const res = await app.request('/v1/me/tier', { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    tier: { code: string };
    growthValue: number;
    history: { fromTier: string | null; toTier: string }[];
  };
}

describe('a purchase stamped a few seconds ahead of the hub', () => {
  it('lifts the tier at once, in the answer and in the member’s own view', async () => {
    const m = member(0);
    const purchase = till.purchase({
      amountMinor: 50_000,
      purchasedAt: secondsAhead(30),
      member: { customerId: m.customerId },
    });
    const answer = await post('/v1/partner/accruals', purchase);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      tier: 'star1',
      tierChange: { from: 'ordinary', to: 'star1' },
    });
    const view = await myTier(m.memberId);
    expect(view.tier.code).toBe('star1');
    expect(view.growthValue).toBe(50_000);
    expect(view.history.map((h) => h.toTier)).toEqual(['star1']);
  });

  it('does not leave an ordinary member stuck: the next purchase earns at the new tier', async () => {
    const m = member(1);
    // Stamped ahead and short of the threshold; the next, stamped now, reaches it.
    const first = till.purchase({
      amountMinor: 49_000,
      purchasedAt: secondsAhead(200),
      member: { customerId: m.customerId },
    });
    expect((await post('/v1/partner/accruals', first)).body).toMatchObject({
      tier: 'ordinary',
      tierChange: null,
    });
    const second = till.purchase({ amountMinor: 1_000, member: { customerId: m.customerId } });
    expect((await post('/v1/partner/accruals', second)).body).toMatchObject({
      points: 10,
      tier: 'star1',
      tierChange: { from: 'ordinary', to: 'star1' },
    });
    const third = till.purchase({ amountMinor: 10_000, member: { customerId: m.customerId } });
    expect((await post('/v1/partner/accruals', third)).body).toMatchObject({ points: 120 });
    expect((await myTier(m.memberId)).tier.code).toBe('star1');
  });

  it('in a batch lifts the tier at once too, and later purchases of the batch earn at it', async () => {
    const m = member(2);
    const purchases = [
      till.purchase({
        amountMinor: 200_000,
        purchasedAt: secondsAhead(290),
        member: { customerId: m.customerId },
      }),
      till.purchase({ amountMinor: 10_000, member: { customerId: m.customerId } }),
    ];
    const answer = await post('/v1/partner/accruals/batch', { purchases });
    expect(answer.status).toBe(200);
    const results = answer.body.results as { status: string; accrual: Record<string, unknown> }[];
    expect(results.map((r) => r.status)).toEqual(['accrued', 'accrued']);
    expect(results[0]?.accrual).toMatchObject({
      tier: 'star2',
      tierChange: { from: 'ordinary', to: 'star2' },
    });
    // 2-star earns 1.5 times the rule's rate.
    expect(results[1]?.accrual).toMatchObject({ points: 150, tier: 'star2', tierChange: null });
    const view = await myTier(m.memberId);
    expect(view.tier.code).toBe('star2');
    expect(view.growthValue).toBe(210_000);
  });

  it('still counts once the hub’s clock has passed it', async () => {
    const m = member(3);
    const purchase = till.purchase({
      amountMinor: 60_000,
      purchasedAt: secondsAhead(60),
      member: { customerId: m.customerId },
    });
    expect((await post('/v1/partner/accruals', purchase)).body).toMatchObject({ tier: 'star1' });
    clock.advanceMs(120_000);
    const view = await myTier(m.memberId);
    expect([view.tier.code, view.growthValue]).toEqual(['star1', 60_000]);
  });
});
