import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import { hubOwnerId, type Ledger } from '../../ledger/index.ts';
import {
  chargeRenewals,
  createPaidPlan,
  demoPaymentProvider,
  issueMemberSession,
  membershipFeeRecorder,
  type PaymentProvider,
  publishBenefit,
  remindRenewals,
  signHmacNotice,
  verifyHmacNotice,
} from '../../members/index.ts';
import { EarnRuleSchema, setEarnRule } from '../../partners/index.ts';
import { manualClock, newId } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { expectSoundLedger, ledgerFor } from '../support/ledger.ts';
import { createMember, createPartner, recordPurchase } from '../support/members.ts';

// 88VIP-style: 888 CNY a year, 88 CNY from 2-star.
const clock = manualClock(new Date('2026-03-01T00:00:00Z'));
let hub: TestHub;
let ledger: Ledger;
let app: ReturnType<typeof createApp>;
let lotus: string;

/** A provider that answers "pending, pay here" and later signs its notices, like Alipay's. */
const noticeSecret = 'provider-secret';
const pendingProvider: PaymentProvider = {
  name: 'hmac',
  charge: async (request) => ({
    status: 'pending',
    providerRef: `ref-${request.paymentId}`,
    payUrl: `https://pay.example/${request.paymentId}`,
  }),
  verifyNotice: (body, headers, now) => verifyHmacNotice(noticeSecret, body, headers, now),
};

beforeAll(async () => {
  hub = await createTestHub({ clock });
  ledger = ledgerFor(hub, clock);
  app = createApp(hub.services, { ledger, paymentProvider: demoPaymentProvider() });
  await createPaidPlan(hub.services.db, {
    code: 'super',
    name: 'Super membership',
    description: 'Double points at Lotus Fresh, free shipping everywhere',
    feeMinor: 88800,
    tierFeesMinor: { star2: 8800, star3: 8800 },
  });
  lotus = await createPartner(hub.services.db, 'lotus');
  await setEarnRule(
    hub.services.db,
    lotus,
    EarnRuleSchema.parse({ paidMemberMultiplier: '2' }),
    clock.now(),
  );
  await publishBenefit(hub.services, {
    partnerId: null,
    code: 'ship',
    title: 'Free shipping',
    kind: 'free_shipping',
    params: {},
    paidOnly: true,
  });
});
afterEach(async () => {
  await expectSoundLedger(ledger);
});
afterAll(async () => {
  await ledger.close();
  await hub.close();
});

async function session(memberId: string): Promise<string> {
  return (await issueMemberSession(hub.services, memberId)).token;
}

function call(
  target: ReturnType<typeof createApp>,
  method: string,
  path: string,
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  return target.request(path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** An answer's JSON, shaped as the test reads it. */
type Answer = {
  payment: { id: string; term: unknown };
  payments: unknown[];
  messages: unknown[];
};
async function answer(res: Response | Promise<Response>): Promise<Answer> {
  return (await (await res).json()) as Answer;
}

async function feeEntries(memberId: string): Promise<number[]> {
  const revenue = await ledger.accountId({
    ownerType: 'hub',
    ownerId: hubOwnerId,
    kind: 'hub_membership_revenue',
    asset: 'CNY',
  });
  const rows = await hub.services.db
    .selectFrom('ledger_postings as p')
    .innerJoin('ledger_entries as e', 'e.id', 'p.entry_id')
    .select('p.amount')
    .where('p.account_id', '=', revenue)
    .where('e.member_id', '=', memberId)
    .execute();
  return rows.map((r) => Number(r.amount));
}

describe('the offer', () => {
  it('prices the plan for the member’s tier and lists the trial and what it includes', async () => {
    const ordinary = await createMember(hub.services);
    const vip = await createMember(hub.services);
    await recordPurchase(hub.services, vip.id, lotus, 200_000);
    const forOrdinary = await (
      await call(app, 'GET', '/v1/me/paid-membership/offer', await session(ordinary.id))
    ).json();
    expect(forOrdinary).toMatchObject({
      tier: { code: 'ordinary' },
      trial: { available: true, used: false },
      plans: [
        {
          code: 'super',
          feeMinor: 88800,
          standardFeeMinor: 88800,
          currency: 'CNY',
          termMonths: 12,
        },
      ],
      includes: {
        benefits: [expect.objectContaining({ title: 'Free shipping', brand: null })],
        earnMultipliers: [{ partnerId: lotus, brand: 'lotus', multiplier: '2' }],
      },
    });
    const forVip = await (
      await call(app, 'GET', '/v1/me/paid-membership/offer', await session(vip.id))
    ).json();
    expect(forVip).toMatchObject({
      tier: { code: 'star2' },
      plans: [{ code: 'super', feeMinor: 8800 }],
    });
  });
});

describe('buying', () => {
  it('charges the fee once per Idempotency-Key, and tells a retry the first payment', async () => {
    const member = await createMember(hub.services);
    const token = await session(member.id);
    const buy = () =>
      call(
        app,
        'POST',
        '/v1/me/paid-membership/subscribe',
        token,
        { planCode: 'super' },
        { 'idempotency-key': 'year-1' },
      );
    const first = await buy();
    expect(first.status).toBe(200);
    const bought = await answer(first);
    expect(bought).toMatchObject({
      replayed: false,
      payment: { status: 'confirmed', amountMinor: 88800, purpose: 'subscribe', provider: 'demo' },
      membership: { paid: true, status: 'active', paidThrough: '2027-03-01T00:00:00.000Z' },
    });
    const again = await buy();
    expect(await again.json()).toMatchObject({
      replayed: true,
      payment: { id: bought.payment.id },
    });
    expect(await feeEntries(member.id)).toEqual([88800]);

    const status = await (await call(app, 'GET', '/v1/me/paid-membership', token)).json();
    expect(status).toMatchObject({
      status: 'active',
      autoRenew: false,
      nextCharge: null,
      savedSoFar: { feesPaidMinor: 88800, savedMinor: 0 },
    });
    const payments = await answer(call(app, 'GET', '/v1/me/paid-membership/payments', token));
    expect(payments.payments).toHaveLength(1);
  });

  it('refuses a purchase without an Idempotency-Key, naming the header, and charges nothing', async () => {
    const member = await createMember(hub.services);
    const res = await call(
      app,
      'POST',
      '/v1/me/paid-membership/subscribe',
      await session(member.id),
      {
        planCode: 'super',
      },
    );
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('idempotency-key');
    expect(await feeEntries(member.id)).toEqual([]);
  });

  it('renews from the end of the running term, and refuses to renew what never was', async () => {
    const member = await createMember(hub.services);
    const token = await session(member.id);
    const nothing = await call(
      app,
      'POST',
      '/v1/me/paid-membership/renew',
      token,
      { planCode: 'super' },
      { 'idempotency-key': 'r0' },
    );
    expect(nothing.status).toBe(422);
    expect(await nothing.json()).toMatchObject({ reason: 'nothing_to_renew' });
    await call(
      app,
      'POST',
      '/v1/me/paid-membership/subscribe',
      token,
      { planCode: 'super' },
      { 'idempotency-key': 's1' },
    );
    const renewed = await answer(
      call(
        app,
        'POST',
        '/v1/me/paid-membership/renew',
        token,
        { planCode: 'super' },
        { 'idempotency-key': 'r1' },
      ),
    );
    expect(renewed.payment.term).toMatchObject({
      startsAt: '2027-03-01T00:00:00.000Z',
      endsAt: '2028-03-01T00:00:00.000Z',
    });
    expect(await feeEntries(member.id)).toEqual([88800, 88800]);
  });

  it('answers 503 naming the reason when no payment provider is configured', async () => {
    const member = await createMember(hub.services);
    const bare = createApp(hub.services, { ledger });
    const res = await call(
      bare,
      'POST',
      '/v1/me/paid-membership/subscribe',
      await session(member.id),
      { planCode: 'super' },
      { 'idempotency-key': 'x' },
    );
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ reason: 'no_payment_provider' });
  });
});

describe('a provider that confirms later, by a signed notice', () => {
  it('waits (202 with the page to pay), then settles once on a genuine notice of the right amount', async () => {
    const provided = createApp(hub.services, { ledger, paymentProvider: pendingProvider });
    const member = await createMember(hub.services);
    const token = await session(member.id);
    const started = await call(
      provided,
      'POST',
      '/v1/me/paid-membership/subscribe',
      token,
      { planCode: 'super' },
      { 'idempotency-key': 'p1' },
    );
    expect(started.status).toBe(202);
    const { payment } = await answer(started);
    expect(payment).toMatchObject({
      status: 'pending',
      payUrl: `https://pay.example/${payment.id}`,
    });
    expect(await feeEntries(member.id)).toEqual([]);

    const notice = (fields: Record<string, unknown>, secret = noticeSecret) => {
      const body = JSON.stringify({
        paymentId: payment.id,
        providerRef: `ref-${payment.id}`,
        status: 'confirmed',
        amountMinor: 88800,
        currency: 'CNY',
        ...fields,
      });
      return provided.request('/v1/payments/hmac/notices', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'payment-signature': signHmacNotice(secret, body, clock.now()),
        },
        body,
      });
    };
    expect((await notice({}, 'not-the-secret')).status).toBe(401);
    expect((await notice({ amountMinor: 1 })).status).toBe(422);
    expect(await feeEntries(member.id)).toEqual([]);

    const confirmed = await notice({});
    expect(confirmed.status).toBe(200);
    expect(await confirmed.json()).toMatchObject({
      status: 'confirmed',
      term: { startsAt: '2026-03-01T00:00:00.000Z' },
    });
    expect((await notice({})).status).toBe(200);
    expect(await feeEntries(member.id)).toEqual([88800]);
    const status = await (await call(provided, 'GET', '/v1/me/paid-membership', token)).json();
    expect(status).toMatchObject({ paid: true, status: 'active' });
  });

  it('refuses a notice for another provider’s path', async () => {
    const res = await app.request('/v1/payments/hmac/notices', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        paymentId: newId(),
        providerRef: 'x',
        status: 'confirmed',
        amountMinor: 1,
        currency: 'CNY',
      }),
    });
    expect(res.status).toBe(404);
  });
});

describe('automatic renewal', () => {
  it('converts a trial at its end: a reminder first, one charge at the fee for the tier, a new term from the trial’s end', async () => {
    clock.set(new Date('2026-04-01T00:00:00Z'));
    const member = await createMember(hub.services);
    const trial = await (
      await call(app, 'POST', '/v1/me/paid-membership/trial', await session(member.id), {
        planCode: 'super',
        autoRenew: true,
      })
    ).json();
    expect(trial).toMatchObject({
      status: 'trial',
      autoRenew: true,
      paidThrough: '2026-05-01T00:00:00.000Z',
      nextCharge: { at: '2026-04-30T00:00:00.000Z', amountMinor: 88800, currency: 'CNY' },
    });
    const deps = {
      ...hub.services,
      paymentProvider: demoPaymentProvider(),
      recordMembershipFee: membershipFeeRecorder(ledger),
    };

    clock.set(new Date('2026-04-25T00:00:00Z'));
    await remindRenewals(hub.services);
    await remindRenewals(hub.services);
    expect(await chargeRenewals(deps)).toMatchObject({ renewed: 0 });
    const reminded = await answer(call(app, 'GET', '/v1/me/messages', await session(member.id)));
    expect(reminded.messages).toEqual([
      expect.objectContaining({
        kind: 'renewal_reminder',
        body: expect.stringContaining('888.00 CNY'),
      }),
    ]);

    clock.set(new Date('2026-04-30T06:00:00Z'));
    expect(await chargeRenewals(deps)).toMatchObject({ renewed: 1 });
    expect(await chargeRenewals(deps)).toMatchObject({ renewed: 0 });
    expect(await feeEntries(member.id)).toEqual([88800]);
    const status = await (
      await call(app, 'GET', '/v1/me/paid-membership', await session(member.id))
    ).json();
    expect(status).toMatchObject({
      status: 'active',
      trial: false,
      paidThrough: '2027-05-01T00:00:00.000Z',
      autoRenew: true,
    });
    const payments = await answer(
      call(app, 'GET', '/v1/me/paid-membership/payments', await session(member.id)),
    );
    expect(payments.payments).toEqual([
      expect.objectContaining({
        purpose: 'trial_conversion',
        term: expect.objectContaining({ startsAt: '2026-05-01T00:00:00.000Z' }),
      }),
    ]);
  });

  it('is off after cancelling, and turning it on again takes the cancellation back', async () => {
    clock.set(new Date('2026-06-01T00:00:00Z'));
    const member = await createMember(hub.services);
    await call(
      app,
      'POST',
      '/v1/me/paid-membership/subscribe',
      await session(member.id),
      { planCode: 'super' },
      { 'idempotency-key': 'a1' },
    );
    const on = await (
      await call(app, 'PUT', '/v1/me/paid-membership/auto-renew', await session(member.id), {
        enabled: true,
      })
    ).json();
    expect(on).toMatchObject({ autoRenew: true, nextCharge: { at: '2027-05-31T00:00:00.000Z' } });
    const cancelled = await (
      await call(app, 'POST', '/v1/me/paid-membership/cancel', await session(member.id))
    ).json();
    expect(cancelled).toMatchObject({
      status: 'cancelled',
      paid: true,
      autoRenew: false,
      nextCharge: null,
    });
    const deps = {
      ...hub.services,
      paymentProvider: demoPaymentProvider(),
      recordMembershipFee: membershipFeeRecorder(ledger),
    };
    clock.set(new Date('2027-05-31T12:00:00Z'));
    expect(await chargeRenewals(deps)).toMatchObject({ renewed: 0 });
    clock.set(new Date('2027-05-01T00:00:00Z'));
    const back = await (
      await call(app, 'PUT', '/v1/me/paid-membership/auto-renew', await session(member.id), {
        enabled: true,
      })
    ).json();
    expect(back).toMatchObject({ status: 'active', autoRenew: true, cancelledAt: null });
  });
});
