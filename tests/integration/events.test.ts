import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff } from '../../gateway/index.ts';
import { enrolAtPartner, updateProfile } from '../../members/index.ts';
import { manualClock, newId } from '../../platform/index.ts';
import { approvePeriod, markPaid, runSettlement } from '../../settlement/index.ts';
import { type CounterFixture, counterFixture } from '../support/counter.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { accrueFor, holdFor, key, ledgerFor } from '../support/ledger.ts';
import { recordPurchase, uniquePhone } from '../support/members.ts';
import { newTestPartner, type TestPartner, uniqueCode } from '../support/partners.ts';
import { redeemAt } from '../support/settlement.ts';

/**
 * Every event type is written by the use case that causes it, in its transaction, for the
 * partners it concerns: the outbox the webhooks deliver from (webhooks.test.ts).
 */
const clock = manualClock(new Date('2026-03-01T02:00:00Z'));
let hub: TestHub;
let partner: TestPartner;
let fixture: CounterFixture;

beforeAll(async () => {
  hub = await createTestHub({ clock });
  partner = await newTestPartner(hub);
  fixture = await counterFixture(hub, partner.partner.id, { members: 2 });
});
afterAll(async () => {
  await fixture.ledger.close();
  await hub.close();
});

type Row = { type: string; audience: string[]; data: Record<string, unknown> };

/** The events written since `since` (an event id or undefined), oldest first. */
async function eventsAfter(since: string | undefined): Promise<Row[]> {
  let q = hub.services.db
    .selectFrom('events')
    .select(['id', 'type', 'audience', 'data', 'audience_data'])
    .orderBy('id');
  if (since) q = q.where('id', '>', since);
  const rows = await q.execute();
  return rows.map((r) => ({
    type: r.type,
    audience: r.audience,
    data: { ...r.data, audience: r.audience_data },
  }));
}

async function lastEventId(): Promise<string | undefined> {
  const row = await hub.services.db
    .selectFrom('events')
    .select('id')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row?.id;
}

/** The events `action` wrote. */
async function eventsOf(action: () => Promise<unknown>): Promise<Row[]> {
  const since = await lastEventId();
  await action();
  return eventsAfter(since);
}

const p = () => partner.partner.id;

describe('events at the till', () => {
  it('a voided hold and an expired one are told to the partner that held them', async () => {
    const holdId = await fixture.authorise(7);
    const voided = await eventsOf(() => fixture.counter.void(p(), holdId, undefined));
    expect(voided).toEqual([
      {
        type: 'hold.voided',
        audience: [p()],
        data: expect.objectContaining({ holdId, points: 7, orderId: expect.any(String) }),
      },
    ]);

    const member = fixture.members[0]?.memberId ?? '';
    const held = await holdFor(fixture.ledger, p(), member, 3, new Date(clock.now().getTime() + 1));
    clock.advanceMs(60_000);
    const expired = await eventsOf(() => fixture.ledger.expireHolds());
    expect(expired).toEqual([
      {
        type: 'hold.expired',
        audience: [p()],
        data: expect.objectContaining({ holdId: held.holdId, memberId: member, points: 3 }),
      },
    ]);
  });

  it('a capture and a one-step redemption are redemption.captured', async () => {
    const holdId = await fixture.authorise(10);
    const captured = await eventsOf(() => fixture.counter.capture(p(), holdId, 6, undefined));
    expect(captured).toEqual([
      {
        type: 'redemption.captured',
        audience: [p()],
        data: expect.objectContaining({ holdId, points: 6, released: 4 }),
      },
    ]);
    const body = await fixture.redemption({ points: 20 });
    const redeemed = await eventsOf(() =>
      fixture.counter.redeem(p(), body as Parameters<typeof fixture.counter.redeem>[1]),
    );
    expect(redeemed).toEqual([
      {
        type: 'redemption.captured',
        audience: [p()],
        data: expect.objectContaining({ holdId: null, orderId: body.orderId, points: 20 }),
      },
    ]);
  });

  it('a refund is refund.booked; a refused one writes nothing', async () => {
    const purchase = fixture.purchase();
    await fixture.counter.earn(p(), { ...purchase, purchasedAt: clock.now() });
    const refundId = uniqueCode('F');
    const refund = () =>
      fixture.counter.refundPurchase(p(), {
        refundId,
        orderId: purchase.orderId,
        refundAmountMinor: 1000,
      });
    expect(await eventsOf(refund)).toEqual([
      {
        type: 'refund.booked',
        audience: [p()],
        data: expect.objectContaining({
          refundId,
          orderId: purchase.orderId,
          kind: 'purchase',
          amountMinor: 1000,
        }),
      },
    ]);
    // The same refund again is its first answer, not a second refund: no second event.
    expect(await eventsOf(refund)).toEqual([]);
    const tooMuch = eventsOf(() =>
      fixture.counter.refundPurchase(p(), {
        refundId: uniqueCode('F'),
        orderId: purchase.orderId,
        refundAmountMinor: 1_000_000,
      }),
    );
    await expect(tooMuch).rejects.toMatchObject({ type: 'business_rule' });
    expect(await eventsAfter(await lastEventId())).toEqual([]);
  });
});

describe('events about members', () => {
  it('a tier change is told to the brands the member is linked to, each with its customer id', async () => {
    const other = await newTestPartner(hub);
    const stranger = await newTestPartner(hub);
    const phone = uniquePhone();
    const { member } = await enrolAtPartner(hub.services, {
      partnerId: p(),
      partnerCustomerId: 'ours-1',
      phone,
    });
    await enrolAtPartner(hub.services, {
      partnerId: other.partner.id,
      partnerCustomerId: 'theirs-9',
      phone,
    });
    const events = await eventsOf(() => recordPurchase(hub.services, member.id, p(), 50_000));
    const changed = events.filter((e) => e.type === 'member.tier_changed');
    expect(changed).toHaveLength(1);
    expect(new Set(changed[0]?.audience)).toEqual(new Set([p(), other.partner.id]));
    expect(changed[0]?.audience).not.toContain(stranger.partner.id);
    expect(changed[0]?.data).toMatchObject({
      memberId: member.id,
      fromTier: 'ordinary',
      toTier: 'star1',
      audience: { [p()]: { customerId: 'ours-1' }, [other.partner.id]: { customerId: 'theirs-9' } },
    });
  });

  it('withdrawing a consent is told to the linked brands; giving one is not', async () => {
    const { member } = await enrolAtPartner(hub.services, {
      partnerId: p(),
      partnerCustomerId: uniqueCode('c'),
      phone: uniquePhone(),
    });
    const give = () =>
      updateProfile(hub.services, member.id, {
        consents: { marketing: true, partnerSharing: true },
      });
    expect(await eventsOf(give)).toEqual([]);
    const withdraw = await eventsOf(() =>
      updateProfile(hub.services, member.id, { consents: { marketing: false } }),
    );
    expect(withdraw).toEqual([
      {
        type: 'member.consent_withdrawn',
        audience: [p()],
        data: expect.objectContaining({ memberId: member.id, withdrawn: ['marketing'] }),
      },
    ]);
  });
});

describe('events of settlement', () => {
  it('a period computed, approved and paid is told to each partner in it, with its own net', async () => {
    const issuer = newId();
    const acceptor = newId();
    const member = newId();
    const ledger = ledgerFor(hub, clock);
    try {
      clock.set(new Date('2026-03-02T02:00:00Z'));
      await accrueFor(ledger, issuer, member, 1000);
      await redeemAt(ledger, acceptor, member, 500, key('o'));
    } finally {
      await ledger.close();
    }
    clock.set(new Date('2026-03-02T16:02:00Z'));
    const computed = (await eventsOf(() => runSettlement(hub.services.db, clock))).filter(
      (e) => e.type === 'settlement.period_computed' && e.audience.includes(acceptor),
    );
    expect(computed).toHaveLength(1);
    const periodId = String(computed[0]?.data.periodId);
    expect(new Set(computed[0]?.audience)).toEqual(new Set([issuer, acceptor]));
    expect(computed[0]?.data.audience).toMatchObject({
      // The issuer owes the acceptor the points' value and the hub its 2% fee.
      [issuer]: { netMinor: -510, feesMinor: 10 },
      [acceptor]: { netMinor: 500, feesMinor: 0 },
    });

    const { staff } = await createStaff(hub.services.db, {
      name: uniqueCode('f'),
      role: 'finance',
    });
    const now = clock.now();
    const approved = await eventsOf(() =>
      approvePeriod(hub.services.db, { periodId, staffId: staff.id, now }),
    );
    expect(approved.map((e) => [e.type, e.data.periodId])).toEqual([
      ['settlement.period_approved', periodId],
    ]);
    // Four eyes: another finance user records the payments.
    const { staff: payer } = await createStaff(hub.services.db, {
      name: uniqueCode('f'),
      role: 'finance',
    });
    const paid = await eventsOf(() =>
      markPaid(hub.services.db, {
        periodId,
        staffId: payer.id,
        now,
        payments: [
          { partnerId: issuer, reference: 'pay-1' },
          { partnerId: acceptor, reference: 'pay-2' },
        ],
      }),
    );
    expect(paid).toEqual([
      {
        type: 'settlement.period_paid',
        audience: expect.arrayContaining([issuer, acceptor]),
        data: expect.objectContaining({
          periodId,
          audience: expect.objectContaining({
            [acceptor]: expect.objectContaining({ paymentReference: 'pay-2' }),
          }),
        }),
      },
    ]);
  });
});
