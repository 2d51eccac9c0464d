import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDomains } from '../../domains.ts';
import { createApp } from '../../gateway/index.ts';
import { verifyLedger } from '../../ledger/index.ts';
import { findMemberByPhone, issueMemberSession } from '../../members/index.ts';
import { seedDemoAlliance } from '../../scripts/demo-alliance.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { staffClient, staffToken } from '../support/partners.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
  await seedDemoAlliance(hub.services, await openDomains(hub.services));
  await seedDemoAlliance(hub.services, await openDomains(hub.services));
});
afterAll(async () => {
  await hub.close();
});

type Me = {
  tier: { tier: { code: string } };
  paidMembership: { paid: boolean; status: string };
};
type Benefits = { benefits: { code: string; publisher: { brand?: string; hub?: true } }[] };

async function viewOf(phone: string): Promise<{ me: Me; benefits: Benefits }> {
  const member = await findMemberByPhone(hub.services.db, phone);
  if (!member) throw new Error(`demo member ${phone} missing`);
  const { token } = await issueMemberSession(hub.services, member.id);
  const app = createApp(hub.services);
  const headers = { authorization: `Bearer ${token}` };
  const me = (await (await app.request('/v1/me', { headers })).json()) as Me;
  const benefits = (await (await app.request('/v1/me/benefits', { headers })).json()) as Benefits;
  return { me, benefits };
}

describe('the demo alliance’s membership', () => {
  it('has members in several tiers, one paid and one on trial, each seeing benefits of several brands', async () => {
    const li = await viewOf('+8613800000001');
    const wang = await viewOf('+8613800000002');
    const zhang = await viewOf('+8613800000003');
    const chen = await viewOf('+8613800000004');
    expect([li, wang, zhang, chen].map((v) => v.me.tier.tier.code)).toEqual([
      'star3',
      'star2',
      'star1',
      'ordinary',
    ]);
    expect(li.me.paidMembership).toMatchObject({ paid: true, status: 'active' });
    expect(wang.me.paidMembership).toMatchObject({ paid: true, status: 'trial' });
    expect(chen.me.paidMembership).toMatchObject({ paid: false });

    const publishers = (v: { benefits: Benefits }) =>
      new Set(v.benefits.benefits.map((b) => b.publisher.brand ?? 'hub'));
    expect(publishers(li).size).toBeGreaterThanOrEqual(4);
    expect(li.benefits.benefits.map((b) => b.code)).toContain('free-shipping');
    expect(chen.benefits.benefits.map((b) => b.code)).toEqual(['welcome-coupon']);
  });
});

describe('the demo alliance’s points', () => {
  it('shows one balance earned at several brands and spent at another, in the activity of every brand', async () => {
    const li = await findMemberByPhone(hub.services.db, '+8613800000001');
    if (!li) throw new Error('demo member missing');
    const { token } = await issueMemberSession(hub.services, li.id);
    const app = createApp(hub.services);
    const headers = { authorization: `Bearer ${token}` };
    const me = (await (await app.request('/v1/me', { headers })).json()) as {
      points: { balance: number };
    };
    const activity = (await (await app.request('/v1/me/activity', { headers })).json()) as {
      activity: { kind: string; brand: string; points: number }[];
    };
    const sum = activity.activity.reduce((s, a) => s + a.points, 0);
    expect(me.points.balance).toBe(sum);
    expect(new Set(activity.activity.map((a) => a.brand))).toEqual(
      new Set(['Jade Tea', 'North Star Books', 'Harbor Cinema']),
    );
    expect(activity.activity.find((a) => a.kind === 'redemption')).toMatchObject({
      brand: 'Harbor Cinema',
      points: -300,
    });
  });

  it('records the paid member’s fee in the ledger once, and the ledger is sound', async () => {
    const fees = await hub.services.db
      .selectFrom('ledger_entries')
      .select('id')
      .where('kind', '=', 'membership_fee')
      .execute();
    expect(fees).toHaveLength(1);
    expect(await verifyLedger(hub.services.db)).toEqual([]);
  });
});

describe('the demo alliance’s segments', () => {
  it('are computed when it is seeded: newcomers, regulars, a dormant member and a super user', async () => {
    const app = createApp(hub.services);
    const call = staffClient(app, await staffToken(hub, 'admin'));
    const latest = (await (await call('GET', '/v1/admin/segments')).json()) as {
      latestRun: { counts: Record<string, number> } | null;
    };
    expect(latest.latestRun?.counts).toEqual({ new: 1, active: 3, dormant: 1, super_user: 1 });
    const membersOf = async (segment: string) => {
      const res = await call('GET', `/v1/admin/segments/${segment}`);
      const page = (await res.json()) as { members: { memberId: string }[] };
      return page.members.map((m) => m.memberId);
    };
    const idOf = async (phone: string) => (await findMemberByPhone(hub.services.db, phone))?.id;
    expect(await membersOf('new')).toEqual([await idOf('+8613800000004')]);
    expect(await membersOf('dormant')).toEqual([await idOf('+8613800000005')]);
    expect(await membersOf('super_user')).toEqual([await idOf('+8613800000001')]);
  });
});
