import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import {
  createPaidPlan,
  demoPaymentProvider,
  issueMemberSession,
  tierProgress,
} from '../../members/index.ts';
import { listAudit, manualClock, redisKey } from '../../platform/index.ts';
import { type CounterFixture, counterFixture } from '../support/counter.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { createMember } from '../support/members.ts';
import {
  idempotencyKey,
  newTestPartner,
  signedFetch,
  staffClient,
  staffToken,
  type TestApp,
  type TestPartner,
  uniqueCode,
} from '../support/partners.ts';

// The operator runs the alliance's rules through the admin API: every change is audited with
// who, when, before and after, and what members and tills meet follows at once.

const clock = manualClock(new Date('2026-09-01T02:00:00Z'));
let hub: TestHub;
let app: TestApp;
let admin: ReturnType<typeof staffClient>;
let shop: TestPartner;
let till: CounterFixture;

beforeAll(async () => {
  hub = await createTestHub({ clock });
  app = createApp(hub.services, { paymentProvider: demoPaymentProvider() });
  admin = staffClient(app, await staffToken(hub, 'admin'));
  shop = await newTestPartner(hub);
  till = await counterFixture(hub, shop.partner.id, { members: 3, points: 0 });
  await createPaidPlan(hub.services.db, { code: 'super', name: 'Super', feeMinor: 88800 });
});
afterAll(async () => {
  await hub.close();
});

type Json = Record<string, unknown>;
const body = async (res: Response) => (await res.json()) as Json;

async function memberCall(memberId: string, method: string, path: string, payload?: unknown) {
  const token = (await issueMemberSession(hub.services, memberId)).token;
  return app.request(path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      'idempotency-key': idempotencyKey(),
    },
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
}

async function report(customerId: string, kind: string, activityId = uniqueCode('a')) {
  const res = await signedFetch(hub, app, shop.key, {
    method: 'POST',
    path: '/v1/partner/activities',
    body: { member: { customerId }, kind, activityId, occurredAt: clock.now().toISOString() },
    idempotencyKey: idempotencyKey(),
  });
  return { status: res.status, body: await body(res) };
}

describe('membership settings', () => {
  it('are changed by an operator, audited with before and after, and a new trial follows', async () => {
    const before = await body(await admin('GET', '/v1/admin/settings'));
    expect(before).toMatchObject({
      membership: { trialDays: 30, activityGrowth: { review: { amount: 500, dailyCap: 3 } } },
      points: { pointsLifetimeDays: 730 },
      tiers: expect.arrayContaining([expect.objectContaining({ code: 'star1' })]),
    });
    const changed = await admin('PATCH', '/v1/admin/settings', {
      membership: { trialDays: 14, activityGrowth: { review: { amount: 800, dailyCap: 2 } } },
      points: { pointsLifetimeDays: 365 },
    });
    expect(changed.status).toBe(200);
    expect(await body(changed)).toMatchObject({
      membership: {
        trialDays: 14,
        activityGrowth: { review: { amount: 800, dailyCap: 2 }, login: { amount: 10 } },
      },
      points: { pointsLifetimeDays: 365 },
    });
    const audit = await listAudit(hub.services.db, { limit: 10, actionPrefix: 'settings.' });
    expect(audit.map((a) => a.action)).toEqual(['settings.membership', 'settings.points']);
    expect(audit[0]).toMatchObject({
      actor_kind: 'staff',
      before: expect.objectContaining({ trialDays: 30 }),
      after: expect.objectContaining({ trialDays: 14 }),
    });

    const member = await createMember(hub.services);
    const trial = await memberCall(member.id, 'POST', '/v1/me/paid-membership/trial', {
      planCode: 'super',
    });
    expect(await body(trial)).toMatchObject({ paidThrough: '2026-09-15T02:00:00.000Z' });
  });

  it('refuses a value out of range naming the field, and changes nothing', async () => {
    const res = await admin('PATCH', '/v1/admin/settings', { membership: { trialDays: 0 } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await body(res))).toContain('trialDays');
    expect(await body(await admin('GET', '/v1/admin/settings'))).toMatchObject({
      membership: { trialDays: 14 },
    });
  });
});

describe('the tier ladder', () => {
  it('lowers a threshold so that the next purchase lifts a member; a broken ladder is refused whole', async () => {
    const m = till.members[0];
    if (!m) throw new Error('no member');
    const earn = (amountMinor: number) =>
      signedFetch(hub, app, shop.key, {
        method: 'POST',
        path: '/v1/partner/accruals',
        body: till.purchase({ amountMinor, member: { customerId: m.customerId } }),
        idempotencyKey: idempotencyKey(),
      });
    await earn(45_000);
    expect((await tierProgress(hub.services, m.memberId)).tier.code).toBe('ordinary');
    const lowered = await admin('PATCH', '/v1/admin/tiers/star1', { thresholdGrowth: 40_000 });
    expect(lowered.status).toBe(200);
    const answer = await body(await earn(100));
    expect(answer).toMatchObject({ tier: 'star1', tierChange: { from: 'ordinary', to: 'star1' } });

    const broken = await admin('PATCH', '/v1/admin/tiers/star2', { thresholdGrowth: 30_000 });
    expect(broken.status).toBe(422);
    const tiers = (await body(await admin('GET', '/v1/admin/settings'))).tiers as Json[];
    expect(tiers.find((t) => t.code === 'star2')).toMatchObject({ thresholdGrowth: 200_000 });
    const audit = await listAudit(hub.services.db, { limit: 10, actionPrefix: 'settings.tier' });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      subject: 'star1',
      before: expect.objectContaining({ thresholdGrowth: 50_000 }),
      after: expect.objectContaining({ thresholdGrowth: 40_000 }),
    });
  });
});

describe('paid plans', () => {
  it('are created, repriced and retired by an operator, and the member’s offer follows', async () => {
    const created = await admin('POST', '/v1/admin/plans', {
      code: 'gold',
      name: 'Gold',
      feeMinor: 19_900,
      tierFeesMinor: { star3: 9_900 },
    });
    expect(created.status).toBe(201);
    const member = await createMember(hub.services);
    const offered = async () =>
      ((await body(await memberCall(member.id, 'GET', '/v1/me/paid-membership/offer'))).plans ??
        []) as Json[];
    expect((await offered()).find((p) => p.code === 'gold')).toMatchObject({ feeMinor: 19_900 });

    await admin('PATCH', '/v1/admin/plans/gold', { feeMinor: 29_900 });
    expect((await offered()).find((p) => p.code === 'gold')).toMatchObject({ feeMinor: 29_900 });

    await admin('PATCH', '/v1/admin/plans/gold', { status: 'retired' });
    expect((await offered()).map((p) => p.code)).not.toContain('gold');
    const refused = await memberCall(member.id, 'POST', '/v1/me/paid-membership/subscribe', {
      planCode: 'gold',
    });
    expect(refused.status).toBe(422);
    expect(await body(refused)).toMatchObject({ reason: 'plan_retired' });

    const audit = await listAudit(hub.services.db, { limit: 10, subject: 'gold' });
    expect(audit.map((a) => a.action)).toEqual(['plan.create', 'plan.update', 'plan.update']);
    expect((await admin('PATCH', '/v1/admin/plans/nope', { feeMinor: 1 })).status).toBe(404);
  });
});

describe('growth from activities', () => {
  it('counts a kind up to the alliance’s daily cap, each activity once, and lifts the tier', async () => {
    const m = till.members[1];
    if (!m) throw new Error('no member');
    const first = await report(m.customerId, 'review', 'review-1');
    expect(first).toMatchObject({
      status: 200,
      body: { counted: true, duplicate: false, growthAdded: 800 },
    });
    const again = await report(m.customerId, 'review', 'review-1');
    expect(again.body).toMatchObject({ counted: true, duplicate: true, growthAdded: 0 });
    expect((await report(m.customerId, 'review')).body).toMatchObject({ counted: true });
    const capped = await report(m.customerId, 'review');
    expect(capped.body).toMatchObject({ counted: false, growthAdded: 0, growthValue: 1_600 });
    // The next local day counts again.
    clock.set(new Date('2026-09-02T02:00:00Z'));
    expect((await report(m.customerId, 'review')).body).toMatchObject({ counted: true });

    // Enough check-ins to reach 1-star (threshold now 40,000) with a big check-in value.
    await admin('PATCH', '/v1/admin/settings', {
      membership: { activityGrowth: { check_in: { amount: 40_000, dailyCap: 1 } } },
    });
    const lifted = await report(m.customerId, 'check_in');
    expect(lifted.body).toMatchObject({ tier: 'star1', tierChange: { toTier: 'star1' } });
  });

  it('refuses an unknown kind and a time too far ahead, naming the field', async () => {
    const m = till.members[2];
    if (!m) throw new Error('no member');
    expect((await report(m.customerId, 'purchase')).status).toBe(400);
    const ahead = await signedFetch(hub, app, shop.key, {
      method: 'POST',
      path: '/v1/partner/activities',
      body: {
        member: { customerId: m.customerId },
        kind: 'login',
        activityId: uniqueCode('a'),
        occurredAt: new Date(clock.now().getTime() + 3_600_000).toISOString(),
      },
      idempotencyKey: idempotencyKey(),
    });
    expect(ahead.status).toBe(400);
    expect(JSON.stringify(await body(ahead))).toContain('occurredAt');
  });
});

describe('a settings change reaches every hub process', () => {
  it('is announced on the hub’s channel', async () => {
    const listener = new Redis(hub.config.redisUrl);
    try {
      const heard = new Promise<string>((resolve) => listener.on('message', (_c, m) => resolve(m)));
      await listener.subscribe(redisKey(hub.config, 'cache-changes'));
      await admin('PATCH', '/v1/admin/tiers/star3', { name: 'Three stars' });
      expect(JSON.parse(await heard)).toEqual(['tiers']);
    } finally {
      listener.disconnect();
    }
  });
});
