import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import { manualClock } from '../../platform/index.ts';
import { type CounterFixture, counterFixture } from '../support/counter.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { benefitIdsMemberSees, recordPurchase } from '../support/members.ts';
import {
  idempotencyKey,
  newTestPartner,
  signedFetch,
  type TestApp,
  type TestPartner,
  uniqueCode,
} from '../support/partners.ts';

const clock = manualClock(new Date('2026-11-25T08:00:00Z'));
let hub: TestHub;
let app: TestApp;
let alice: TestPartner;
let bob: TestPartner;
let counter: CounterFixture;

beforeAll(async () => {
  hub = await createTestHub({ clock });
  app = createApp(hub.services);
  alice = await newTestPartner(hub);
  bob = await newTestPartner(hub);
  counter = await counterFixture(hub, alice.partner.id, { members: 4, points: 0 });
});
afterAll(async () => {
  await hub.close();
});

type Benefit = { id: string; code: string; publisher: unknown; usesLeft?: number | null };

function post(partner: TestPartner, path: string, body?: unknown, key = idempotencyKey()) {
  return signedFetch(hub, app, partner.key, { method: 'POST', path, body, idempotencyKey: key });
}

async function publish(partner: TestPartner, overrides: Record<string, unknown> = {}) {
  const res = await post(partner, '/v1/partner/benefits', {
    code: uniqueCode('b'),
    title: '10% off for 2-star members',
    kind: 'discount_rate',
    params: { rateBp: 9000 },
    ...overrides,
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Benefit;
}

async function listed(partner: TestPartner): Promise<string[]> {
  const res = await signedFetch(hub, app, partner.key, {
    method: 'GET',
    path: '/v1/partner/benefits',
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { benefits: Benefit[] }).benefits.map((b) => b.id);
}

const memberSees = (memberId: string) => benefitIdsMemberSees(app, hub.services, memberId);

async function reachTwoStars(memberId: string): Promise<void> {
  await recordPurchase(hub.services, memberId, alice.partner.id, 200_000);
}

function member(i: number): { memberId: string; customerId: string } {
  const m = counter.members[i];
  if (!m) throw new Error(`fixture member ${i} missing`);
  return m;
}

function use(partner: TestPartner, body: Record<string, unknown>, key?: string) {
  return post(partner, '/v1/partner/benefit-uses', body, key);
}

describe('partner benefits: happy path', () => {
  it('publishes a benefit that the partner lists and a member of the targeted tier sees', async () => {
    const benefit = await publish(alice, { targetTiers: ['star2'] });
    expect(benefit.publisher).toMatchObject({ partnerId: alice.partner.id });
    expect(await listed(alice)).toContain(benefit.id);
    expect(await listed(bob)).not.toContain(benefit.id);

    const starred = member(0);
    const ordinary = member(1);
    await reachTwoStars(starred.memberId);
    expect(await memberSees(starred.memberId)).toContain(benefit.id);
    expect(await memberSees(ordinary.memberId)).not.toContain(benefit.id);
  });

  it('counts uses at the counter until the member has used it up (422)', async () => {
    const benefit = await publish(alice, {
      kind: 'coupon',
      params: { amountOffMinor: 1000 },
      usageLimit: { count: 2, period: 'month' },
    });
    const m = member(2);
    const first = await use(alice, { member: { customerId: m.customerId }, benefitId: benefit.id });
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ memberId: m.memberId, usesLeft: 1 });

    // The till retries with a new Idempotency-Key but the same useId: counted once.
    const body = { member: { memberId: m.memberId }, benefitId: benefit.id, useId: 'till-7' };
    const second = await use(alice, body);
    const retried = await use(alice, body);
    expect(await second.json()).toMatchObject({ duplicate: false, usesLeft: 0 });
    expect(await retried.json()).toMatchObject({ duplicate: true, usesLeft: 0 });
    // The member still sees it, with 0 uses left (member-self-service.test.ts checks the figures).
    expect(await memberSees(m.memberId)).toContain(benefit.id);

    const third = await use(alice, { member: { memberId: m.memberId }, benefitId: benefit.id });
    expect(third.status).toBe(422);
    expect(await third.json()).toMatchObject({
      type: '/docs/problems#business_rule',
      reason: 'benefit_exhausted',
    });
  });

  it('withdraws a benefit: gone from the list and from members’ benefits', async () => {
    const benefit = await publish(alice);
    const res = await post(alice, `/v1/partner/benefits/${benefit.id}/withdraw`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ benefitId: benefit.id, status: 'withdrawn' });
    expect(await listed(alice)).not.toContain(benefit.id);
    expect(await memberSees(member(3).memberId)).not.toContain(benefit.id);
  });
});

describe('partner benefits: errors', () => {
  it('refuses a use the member is not eligible for with 422 benefit_not_available', async () => {
    const benefit = await publish(alice, { targetTiers: ['star3'] });
    const res = await use(alice, {
      member: { customerId: member(1).customerId },
      benefitId: benefit.id,
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ reason: 'benefit_not_available' });
  });

  it('answers 404 when another partner withdraws it, and the benefit stays', async () => {
    const benefit = await publish(alice);
    const res = await post(bob, `/v1/partner/benefits/${benefit.id}/withdraw`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ type: '/docs/problems#not_found' });
    expect(await listed(alice)).toContain(benefit.id);
  });

  it('refuses another brand’s benefit at this counter, and an unknown member', async () => {
    const benefit = await publish(alice);
    // Bob sees the member once it is his customer too (a member Bob may not see is a 404).
    const linked = await post(bob, `/v1/partner/members/${member(1).memberId}/link`, {
      customerId: uniqueCode('bob'),
    });
    expect(linked.status).toBe(200);
    const atBob = await use(bob, {
      member: { memberId: member(1).memberId },
      benefitId: benefit.id,
    });
    expect(atBob.status).toBe(403);
    const nobody = await use(alice, { member: { customerId: 'nobody' }, benefitId: benefit.id });
    expect(nobody.status).toBe(404);
  });

  it('answers a taken code with 409', async () => {
    const benefit = await publish(alice);
    const again = await post(alice, '/v1/partner/benefits', {
      code: benefit.code,
      title: 'Again',
      kind: 'service_perk',
      params: { perk: 'Gift wrap' },
    });
    expect(again.status).toBe(409);
  });

  it('names the field of bad input (400) and publishes nothing', async () => {
    const before = await listed(alice);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ code: 'Tea 95', title: 'x', kind: 'service_perk', params: { perk: 'p' } }, 'code'],
      [{ kind: 'discount_rate', params: { rateBp: 9000 } }, 'title'],
      [{ title: 'x', kind: 'cashback', params: {} }, 'kind'],
      [{ title: 'x', kind: 'discount_rate', params: { rateBp: 0 } }, 'params.rateBp'],
      [
        { title: 'x', kind: 'service_perk', params: { perk: 'p' }, targetTiers: ['gold'] },
        'targetTiers',
      ],
      [
        {
          title: 'x',
          kind: 'service_perk',
          params: { perk: 'p' },
          validFrom: '2026-12-01T00:00:00Z',
          validUntil: '2026-11-30T00:00:00Z',
        },
        'validUntil',
      ],
    ];
    for (const [body, field] of cases) {
      const res = await post(alice, '/v1/partner/benefits', { code: uniqueCode('bad'), ...body });
      expect(res.status).toBe(400);
      const problem = (await res.json()) as { errors: { field: string }[] };
      expect(problem.errors.map((e) => e.field)).toContain(field);
    }
    expect(await listed(alice)).toEqual(before);

    const badUse = await use(alice, { member: { customerId: 'c' }, benefitId: 'not-a-uuid' });
    expect(badUse.status).toBe(400);
    expect(((await badUse.json()) as { errors: { field: string }[] }).errors).toEqual([
      expect.objectContaining({ field: 'benefitId' }),
    ]);
  });
});
