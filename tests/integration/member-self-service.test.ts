import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import {
  createPaidPlan,
  issueMemberSession,
  publishBenefit,
  startTrial,
} from '../../members/index.ts';
import { manualClock } from '../../platform/index.ts';
import { type CounterFixture, counterFixture } from '../support/counter.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { accrueFor, expectSoundLedger } from '../support/ledger.ts';
import { createMember, memberPost, recordPurchase, uniquePhone } from '../support/members.ts';
import {
  idempotencyKey,
  newTestPartner,
  signedFetch,
  type TestApp,
  type TestPartner,
} from '../support/partners.ts';

// What a member does for themselves through the member API: sign in (and join), read their
// growth and benefits, see which points expire soon, see and remove their brand links, and
// close their membership. Everything through HTTP, as the member's app and a till would.

const clock = manualClock(new Date('2026-11-25T08:00:00Z'));
let hub: TestHub;
let app: TestApp;
let tea: TestPartner;
let till: CounterFixture;

beforeAll(async () => {
  // Codes are read from the demo outbox, as the README's demo does.
  hub = await createTestHub({ clock, env: { HUB_DEMO: '1' } });
  app = createApp(hub.services);
  tea = await newTestPartner(hub);
  till = await counterFixture(hub, tea.partner.id, { members: 4, points: 0 });
});
afterEach(async () => {
  await expectSoundLedger(till.ledger);
});
afterAll(async () => {
  await hub.close();
});

type Json = Record<string, unknown>;

async function get(path: string, token?: string) {
  const res = await app.request(path, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function post(path: string, body: unknown, token?: string) {
  const res = await memberPost(app, path, body, token);
  return { status: res.status, body: (await res.json()) as Json };
}

async function partnerCall(method: 'GET' | 'POST', path: string, body?: unknown) {
  const res = await signedFetch(hub, app, tea.key, {
    method,
    path,
    body,
    idempotencyKey: method === 'POST' ? idempotencyKey() : undefined,
  });
  return { status: res.status, body: (await res.json()) as Json };
}

/** The code the demo outbox holds for this phone, as the member reads it. */
async function latestCode(phone: string): Promise<string> {
  const { body } = await get(
    `/v1/dev/member-outbox?recipient=${encodeURIComponent(phone)}&limit=1`,
  );
  const messages = body.messages as { body: string }[];
  const code = /\b([0-9]{6})\b/.exec(messages[0]?.body ?? '')?.[1];
  if (!code) throw new Error(`no code in the outbox for ${phone}`);
  return code;
}

async function sendCode(phone: string): Promise<string> {
  expect((await post('/v1/member/sign-in/code', { phone })).status).toBe(202);
  return latestCode(phone);
}

async function signIn(phone: string): Promise<string> {
  const session = await post('/v1/member/sign-in/session', { phone, code: await sendCode(phone) });
  expect(session.status).toBe(200);
  return String(session.body.token);
}

function otherThan(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

describe('signing in', () => {
  it('with a newcomer’s right code and no enrol keeps the code for the retry that enrols', async () => {
    const phone = uniquePhone();
    const code = await sendCode(phone);
    const first = await post('/v1/member/sign-in/session', { phone, code });
    expect(first.status).toBe(404);
    expect(first.body.reason).toBe('enrol_required');
    const joined = await post('/v1/member/sign-in/session', {
      phone,
      code,
      enrol: { displayName: 'New Person' },
    });
    expect(joined.status).toBe(200);
    expect(joined.body).toMatchObject({ enrolled: true });
    expect((await get('/v1/me', String(joined.body.token))).body).toMatchObject({
      profile: { phone, displayName: 'New Person' },
    });
  });

  it('tells nothing about membership without the right code', async () => {
    const member = await createMember(hub.services);
    const stranger = uniquePhone();
    const answers = [];
    for (const phone of [member.phone ?? '', stranger]) {
      const code = await sendCode(phone);
      answers.push(await post('/v1/member/sign-in/session', { phone, code: otherThan(code) }));
    }
    for (const phone of [uniquePhone(), uniquePhone()]) {
      answers.push(await post('/v1/member/sign-in/session', { phone, code: '123456' }));
    }
    const told = answers.map((a) => [a.status, a.body.reason]);
    expect(told).toEqual([
      [401, 'code_wrong'],
      [401, 'code_wrong'],
      [401, 'code_not_sent'],
      [401, 'code_not_sent'],
    ]);
  });

  it('says a code used once is used, and an old one expired', async () => {
    const member = await createMember(hub.services);
    const phone = member.phone ?? '';
    const code = await sendCode(phone);
    expect((await post('/v1/member/sign-in/session', { phone, code })).status).toBe(200);
    const again = await post('/v1/member/sign-in/session', { phone, code });
    expect([again.status, again.body.reason]).toEqual([401, 'code_used']);

    const late = await sendCode(phone);
    clock.advanceMs(5 * 60_000);
    const expired = await post('/v1/member/sign-in/session', { phone, code: late });
    expect([expired.status, expired.body.reason]).toEqual([401, 'code_expired']);
    // A new code works at once.
    expect(
      (await post('/v1/member/sign-in/session', { phone, code: await sendCode(phone) })).status,
    ).toBe(200);
  });
});

describe('growth events', () => {
  it('page without losing events that share a time', async () => {
    const member = await createMember(hub.services);
    const at = clock.now();
    for (let i = 0; i < 5; i++)
      await recordPurchase(hub.services, member.id, tea.partner.id, 1_000 + i, at);
    const token = await signIn(member.phone ?? '');
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const { status, body } = await get(`/v1/me/growth?limit=2${query}`, token);
      expect(status).toBe(200);
      seen.push(...(body.events as { id: string }[]).map((e) => e.id));
      cursor = (body.nextCursor as string | null | undefined) ?? null;
      if (cursor === null) break;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
  });

  it('refuses a cursor it did not make, naming it, and still filters by time with before', async () => {
    const member = await createMember(hub.services);
    await recordPurchase(
      hub.services,
      member.id,
      tea.partner.id,
      2_000,
      new Date(clock.now().getTime() - 60_000),
    );
    await recordPurchase(hub.services, member.id, tea.partner.id, 3_000);
    const token = await signIn(member.phone ?? '');
    const bad = await get('/v1/me/growth?cursor=not-a-cursor', token);
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'query.cursor' })]);
    const older = await get(
      `/v1/me/growth?before=${new Date(clock.now().getTime() - 1_000).toISOString()}`,
      token,
    );
    expect((older.body.events as { amount: number }[]).map((e) => e.amount)).toEqual([2_000]);
  });
});

describe('benefits', () => {
  it('a used-up benefit stays listed with 0 uses left and when it renews; a further use is refused', async () => {
    await createPaidPlan(hub.services.db, { code: 'super', name: 'Super', feeMinor: 88_800 });
    const benefit = await publishBenefit(hub.services, {
      partnerId: tea.partner.id,
      code: 'one-free-pot',
      title: 'One free pot a month',
      kind: 'service_perk',
      params: { perk: 'a pot of tea' },
      usageLimit: { count: 1, period: 'month' },
    });
    const m = till.members[0];
    if (!m) throw new Error('no member');
    await startTrial(hub.services, { memberId: m.memberId, planCode: 'super' });
    const use = (useId: string) =>
      partnerCall('POST', '/v1/partner/benefit-uses', {
        member: { customerId: m.customerId },
        benefitId: benefit.id,
        useId,
      });
    expect((await use('use-1')).body).toMatchObject({ usesLeft: 0 });
    const { token } = await issueMemberSession(hub.services, m.memberId);
    const listed = (await get('/v1/me/benefits', token)).body.benefits as Json[];
    // December begins in Shanghai at 16:00 UTC on 30 November.
    expect(listed.find((b) => b.id === benefit.id)).toMatchObject({
      usesLeft: 0,
      usedThisPeriod: 1,
      periodEndsAt: '2026-11-30T16:00:00.000Z',
    });
    const refused = await use('use-2');
    expect([refused.status, refused.body.reason]).toEqual([422, 'benefit_exhausted']);
  });
});

const tillMember = (i: number) => {
  const m = till.members[i];
  if (!m) throw new Error(`no member ${i}`);
  return m;
};

async function sessionOf(memberId: string): Promise<string> {
  return (await issueMemberSession(hub.services, memberId)).token;
}

describe('points expiring soon', () => {
  it('are listed per day in the alliance’s time zone, for the next 30 days, and shrink as points are spent', async () => {
    const m = tillMember(1);
    const lots: [number, string][] = [
      [100, '2026-11-27T08:00:00Z'],
      [50, '2026-11-27T20:00:00Z'], // 28 November in Shanghai
      [30, '2026-11-28T01:00:00Z'],
      [70, '2026-12-25T07:00:00Z'], // within 30 days of now
      [200, '2027-01-09T08:00:00Z'], // 45 days on: not soon
    ];
    for (const [points, expiresAt] of lots) {
      await accrueFor(till.ledger, tea.partner.id, m.memberId, points, new Date(expiresAt));
      clock.advanceMs(1_000); // issued one after another: spending takes the first first
    }
    const token = await sessionOf(m.memberId);
    const points = async () => ((await get('/v1/me', token)).body.points as Json).expiringSoon;
    expect(await points()).toEqual({
      withinDays: 30,
      points: 250,
      byDate: [
        { date: '2026-11-27', points: 100 },
        { date: '2026-11-28', points: 80 },
        { date: '2026-12-25', points: 70 },
      ],
    });

    // The member pays 120 points at the till: the oldest lots go first.
    const code = (await post('/v1/me/pay-codes', {}, token)).body.code;
    const paid = await partnerCall('POST', '/v1/partner/redemptions', {
      payCode: code,
      storeCode: till.storeCode,
      orderId: `R-${m.memberId}`,
      orderAmountMinor: 10_000,
      points: 120,
    });
    expect(paid.status).toBe(200);
    expect(await points()).toEqual({
      withinDays: 30,
      points: 130,
      byDate: [
        { date: '2026-11-28', points: 60 },
        { date: '2026-12-25', points: 70 },
      ],
    });
  });
});

describe('brand links', () => {
  it('are listed with the customer id masked, and a member who removes one is no longer found by it', async () => {
    const m = tillMember(2);
    const token = await sessionOf(m.memberId);
    const listed = await get('/v1/me/links', token);
    expect(listed.status).toBe(200);
    const links = listed.body.links as Json[];
    expect(links).toEqual([
      {
        partnerId: tea.partner.id,
        brand: 'Test Brand',
        customerId: `${'*'.repeat(m.customerId.length - 4)}${m.customerId.slice(-4)}`,
        linkedAt: expect.any(String),
      },
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(m.customerId);
    const byCustomer = `/v1/partner/members?customerId=${encodeURIComponent(m.customerId)}`;
    expect((await partnerCall('GET', byCustomer)).status).toBe(200);

    const removed = await post(`/v1/me/links/${tea.partner.id}/unlink`, {}, token);
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({
      partnerId: tea.partner.id,
      unlinkedAt: expect.any(String),
    });
    expect((await get('/v1/me/links', token)).body.links).toEqual([]);
    // The brand can no longer find the member, nor earn for them, by its customer id.
    expect((await partnerCall('GET', byCustomer)).status).toBe(404);
    const purchase = till.purchase({ member: { customerId: m.customerId } });
    expect((await partnerCall('POST', '/v1/partner/accruals', purchase)).status).toBe(404);
    // Removing it again: there is nothing to remove.
    const again = await post(`/v1/me/links/${tea.partner.id}/unlink`, {}, token);
    expect(again.status).toBe(404);
  });
});

describe('closing the membership', () => {
  it('needs the confirmation the preview gave, then ends the session, the links and the points', async () => {
    const m = tillMember(3);
    await accrueFor(till.ledger, tea.partner.id, m.memberId, 456);
    const token = await sessionOf(m.memberId);
    const preview = await get('/v1/me/closing', token);
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({
      pointsPolicy: 'forfeit',
      pointsLost: 456,
      links: 1,
      paidMembershipEnds: false,
      confirmation: expect.any(String),
      confirmBy: expect.any(String),
    });

    // Without the confirmation, or with another member's, nothing closes.
    const bare = await post('/v1/me/close', {}, token);
    expect(bare.status).toBe(400);
    expect(bare.body.errors).toEqual([expect.objectContaining({ field: 'confirmation' })]);
    const other = await sessionOf(tillMember(0).memberId);
    const foreign = await post('/v1/me/close', { confirmation: preview.body.confirmation }, other);
    expect(foreign.status).toBe(400);
    expect((await get('/v1/me', token)).status).toBe(200);

    const closed = await post(
      '/v1/me/close',
      { confirmation: preview.body.confirmation, reason: 'moving abroad' },
      token,
    );
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ memberId: m.memberId, status: 'closed', pointsLost: 456 });
    const after = await get('/v1/me', token);
    expect([after.status, after.body.reason]).toEqual([401, 'membership_closed']);
    expect(
      (await partnerCall('GET', `/v1/partner/members?customerId=${m.customerId}`)).status,
    ).toBe(404);
    expect((await till.ledger.memberPoints(m.memberId)).balance).toBe(0);
  });

  it('refuses a confirmation older than ten minutes', async () => {
    const member = await createMember(hub.services);
    const token = await signIn(member.phone ?? '');
    const { confirmation } = (await get('/v1/me/closing', token)).body;
    clock.advanceMs(10 * 60_000 + 1_000);
    const fresh = await sessionOf(member.id);
    const late = await post('/v1/me/close', { confirmation }, fresh);
    expect(late.status).toBe(400);
    expect((await get('/v1/me', fresh)).status).toBe(200);
  });
});
