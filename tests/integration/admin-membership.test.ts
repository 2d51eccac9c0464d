import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import { computeSegments, publishBenefit } from '../../members/index.ts';
import { manualClock, newId } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import {
  benefitIdsMemberSees,
  createMember,
  createPartner,
  recordPurchase,
} from '../support/members.ts';
import { staffClient, staffToken, type TestApp, uniqueCode } from '../support/partners.ts';

const start = new Date('2026-03-01T04:00:00Z');
const dayMs = 86_400_000;
const clock = manualClock(start);
let hub: TestHub;
let app: TestApp;
let call: ReturnType<typeof staffClient>;
let partner: string;

beforeAll(async () => {
  hub = await createTestHub({ clock });
  app = createApp(hub.services);
  call = staffClient(app, await staffToken(hub, 'admin'));
  partner = await createPartner(hub.services.db);
});
afterAll(async () => {
  await hub.close();
});

type Benefit = { id: string; code: string; publisher: unknown };

async function hubBenefits(): Promise<string[]> {
  const res = await call('GET', '/v1/admin/benefits');
  expect(res.status).toBe(200);
  return ((await res.json()) as { benefits: Benefit[] }).benefits.map((b) => b.id);
}

const memberSees = (memberId: string) => benefitIdsMemberSees(app, hub.services, memberId);

describe('hub benefits', () => {
  it('publishes a hub benefit that members at every brand see, lists it, withdraws it', async () => {
    const res = await call('POST', '/v1/admin/benefits', {
      code: uniqueCode('hub'),
      title: 'Birthday gift',
      kind: 'service_perk',
      params: { perk: 'A gift on your birthday' },
      usageLimit: { count: 1, period: 'year' },
    });
    expect(res.status).toBe(201);
    const benefit = (await res.json()) as Benefit;
    expect(benefit.publisher).toEqual({ hub: true });
    expect(await hubBenefits()).toContain(benefit.id);
    const member = await createMember(hub.services);
    expect(await memberSees(member.id)).toContain(benefit.id);

    const withdrawn = await call('POST', `/v1/admin/benefits/${benefit.id}/withdraw`);
    expect(withdrawn.status).toBe(200);
    expect(await hubBenefits()).not.toContain(benefit.id);
    expect(await memberSees(member.id)).not.toContain(benefit.id);
  });

  it('leaves partners’ benefits to their partners: not listed, and 404 on withdraw', async () => {
    const theirs = await publishBenefit(hub.services, {
      partnerId: partner,
      code: uniqueCode('tea'),
      title: 'Tea',
      kind: 'discount_rate',
      params: { rateBp: 9500 },
    });
    expect(await hubBenefits()).not.toContain(theirs.id);
    const res = await call('POST', `/v1/admin/benefits/${theirs.id}/withdraw`);
    expect(res.status).toBe(404);
    const member = await createMember(hub.services);
    expect(await memberSees(member.id)).toContain(theirs.id);
  });

  it('names the field of bad input and publishes nothing', async () => {
    const before = await hubBenefits();
    const res = await call('POST', '/v1/admin/benefits', {
      code: uniqueCode('hub'),
      title: 'Coupon',
      kind: 'coupon',
      params: { amountOffMinor: -5 },
    });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { errors: { field: string }[] };
    expect(problem.errors.map((e) => e.field)).toEqual(['params.amountOffMinor']);
    expect(await hubBenefits()).toEqual(before);
  });
});

describe('segments', () => {
  it('reads the latest run’s counts and pages through a segment', async () => {
    const before = await call('GET', '/v1/admin/segments');
    expect(await before.json()).toEqual({ latestRun: null });

    const spenders = [];
    for (let i = 0; i < 3; i++) {
      const m = await createMember(hub.services);
      await recordPurchase(hub.services, m.id, partner, (i + 1) * 10_000);
      spenders.push(m.id);
    }
    // Two months on, nobody is new; the spenders are active, everyone else dormant.
    clock.set(new Date(start.getTime() + 60 * dayMs));
    const run = await computeSegments(hub.services);

    const res = await call('GET', '/v1/admin/segments');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      latestRun: {
        runId: run.runId,
        computedAt: clock.now().toISOString(),
        counts: run.counts,
      },
    });
    expect(run.counts.active).toBe(3);

    const first = await call('GET', '/v1/admin/segments/active?limit=2');
    const page1 = (await first.json()) as { members: { memberId: string }[]; next: string };
    expect(page1.members).toHaveLength(2);
    const second = await call('GET', `/v1/admin/segments/active?limit=2&after=${page1.next}`);
    const page2 = (await second.json()) as { members: { memberId: string }[]; next: null };
    expect(page2.next).toBeNull();
    expect([...page1.members, ...page2.members].map((m) => m.memberId).sort()).toEqual(
      [...spenders].sort(),
    );

    const dormant = await call('GET', '/v1/admin/segments/dormant?limit=1000');
    const { members } = (await dormant.json()) as { members: { spend12mMinor: number }[] };
    expect(members).toHaveLength(run.counts.dormant);
    expect(members.every((m) => m.spend12mMinor === 0)).toBe(true);
  });

  it('names a bad segment or page size', async () => {
    const res = await call('GET', '/v1/admin/segments/vip');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ errors: [{ field: 'param.segment' }] });
    const big = await call('GET', '/v1/admin/segments/new?limit=5000');
    expect(big.status).toBe(400);
    expect(await big.json()).toMatchObject({ errors: [{ field: 'query.limit' }] });
  });
});

describe('staff roles', () => {
  it.each([
    ['GET', '/v1/admin/segments'],
    ['GET', '/v1/admin/segments/active'],
    ['GET', '/v1/admin/benefits'],
    ['POST', '/v1/admin/benefits'],
    ['POST', `/v1/admin/benefits/${newId()}/withdraw`],
  ])('refuses %s %s without a token (401) and with a finance token (403)', async (method, path) => {
    const body = method === 'POST' ? {} : undefined;
    expect((await call(method, path, body, null)).status).toBe(401);
    const finance = await staffToken(hub, 'finance');
    const refused = await call(method, path, body, finance);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ type: '/docs/problems#forbidden' });
  });
});
