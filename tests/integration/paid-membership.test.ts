import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buyPaidMembership,
  cancelPaidMembership,
  createPaidPlan,
  demoPaymentProvider,
  expirePaidMemberships,
  isPaidMember,
  paidStatus,
  type RecordMembershipFee,
  startTrial,
} from '../../members/index.ts';
import { manualClock } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { createMember, createPartner, recordPurchase } from '../support/members.ts';

const clock = manualClock(new Date('2026-01-10T00:00:00Z'));
let hub: TestHub;
const fees: Parameters<RecordMembershipFee>[0][] = [];
const recordMembershipFee: RecordMembershipFee = async (fee) => {
  fees.push(fee);
};

/** Pays for the super plan through the demo provider, the fee going to `recordMembershipFee`. */
async function subscribeSuper(
  memberId: string,
  idempotencyKey: string,
  options: { purpose?: 'subscribe' | 'renew'; fee?: RecordMembershipFee } = {},
) {
  const result = await buyPaidMembership(
    {
      ...hub.services,
      paymentProvider: demoPaymentProvider(),
      recordMembershipFee: options.fee ?? recordMembershipFee,
    },
    { memberId, planCode: 'super', idempotencyKey, purpose: options.purpose ?? 'subscribe' },
  );
  const term = result.payment.term;
  if (!term) throw new Error(`payment ${result.payment.status}: no term`);
  return { ...result, term: { ...term, feeMinor: result.payment.amountMinor } };
}

beforeAll(async () => {
  hub = await createTestHub({ clock });
  // 88VIP-style: 888 CNY a year, 88 CNY for members of 2-star and above.
  await createPaidPlan(hub.services.db, {
    code: 'super',
    name: 'Super membership',
    feeMinor: 88800,
    tierFeesMinor: { star2: 8800, star3: 8800 },
  });
});
afterAll(async () => {
  await hub.close();
});

describe('free trial', () => {
  it('gives 30 days once; a second trial is refused, even after the first ended', async () => {
    const member = await createMember(hub.services);
    const trial = await startTrial(hub.services, { memberId: member.id, planCode: 'super' });
    expect(trial).toMatchObject({ paid: true, trial: true, status: 'trial', trialUsed: true });
    expect(trial.paidThrough?.toISOString()).toBe('2026-02-09T00:00:00.000Z');
    await expect(
      startTrial(hub.services, { memberId: member.id, planCode: 'super' }),
    ).rejects.toMatchObject({ type: 'business_rule', extra: { reason: 'trial_used' } });

    clock.advanceMs(31 * 86_400_000);
    expect(await paidStatus(hub.services, member.id)).toMatchObject({
      paid: false,
      status: 'expired',
    });
    await expect(
      startTrial(hub.services, { memberId: member.id, planCode: 'super' }),
    ).rejects.toMatchObject({ extra: { reason: 'trial_used' } });
  });
});

describe('subscription', () => {
  it('charges the fee for the member’s tier through the ledger seam, once per idempotency key', async () => {
    const member = await createMember(hub.services);
    const before = fees.length;
    const first = await subscribeSuper(member.id, 'order-1');
    expect(first).toMatchObject({
      replayed: false,
      payment: { status: 'confirmed', amountMinor: 88800, currency: 'CNY' },
    });
    expect(first.status).toMatchObject({ paid: true, status: 'active' });
    const again = await subscribeSuper(member.id, 'order-1');
    expect(again).toMatchObject({ replayed: true, term: { id: first.term.id } });
    expect(fees.slice(before)).toEqual([
      expect.objectContaining({
        memberId: member.id,
        planCode: 'super',
        termId: first.term.id,
        feeMinor: 88800,
        currency: 'CNY',
        idempotencyKey: `membership-fee:${member.id}:payment:${first.payment.id}`,
      }),
    ]);

    const partner = await createPartner(hub.services.db);
    const vip = await createMember(hub.services);
    await recordPurchase(hub.services, vip.id, partner, 200000);
    const cheap = await subscribeSuper(vip.id, 'order-2');
    expect(cheap.term.feeMinor).toBe(8800);
  });

  it('creates no term when the ledger refuses the fee', async () => {
    const member = await createMember(hub.services);
    await expect(
      subscribeSuper(member.id, 'k', {
        fee: async () => {
          throw new Error('ledger down');
        },
      }),
    ).rejects.toThrow('ledger down');
    expect(await paidStatus(hub.services, member.id)).toMatchObject({
      paid: false,
      status: 'none',
    });
  });

  it('renews from the end of the running term, and expires by the clock', async () => {
    clock.set(new Date('2026-03-01T00:00:00Z'));
    const member = await createMember(hub.services);
    await subscribeSuper(member.id, 'y1');
    clock.set(new Date('2027-02-15T00:00:00Z'));
    const renewed = await subscribeSuper(member.id, 'y2', { purpose: 'renew' });
    expect(renewed.term.startsAt.toISOString()).toBe('2027-03-01T00:00:00.000Z');
    expect(renewed.status.paidThrough?.toISOString()).toBe('2028-03-01T00:00:00.000Z');
    expect(renewed.status.since?.toISOString()).toBe('2026-03-01T00:00:00.000Z');

    clock.set(new Date('2028-02-29T23:59:59Z'));
    await expirePaidMemberships(hub.services);
    expect(await paidStatus(hub.services, member.id)).toMatchObject({
      paid: true,
      status: 'active',
    });
    // What earning asks (the counter's one-query check) agrees, on both sides of the end.
    expect(await isPaidMember(hub.services, member.id)).toBe(true);
    clock.set(new Date('2028-03-01T00:00:00Z'));
    // Benefits end at the term's end even before the job runs...
    expect(await paidStatus(hub.services, member.id)).toMatchObject({
      paid: false,
      status: 'expired',
    });
    expect(await isPaidMember(hub.services, member.id)).toBe(false);
    // ...and the job records it.
    const { expired } = await expirePaidMemberships(hub.services);
    expect(expired).toBeGreaterThanOrEqual(1);
    const row = await hub.services.db
      .selectFrom('paid_memberships')
      .select('status')
      .where('member_id', '=', member.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('expired');

    // Subscribing after expiry starts a new term now.
    const back = await subscribeSuper(member.id, 'y3');
    expect(back.term.startsAt.toISOString()).toBe('2028-03-01T00:00:00.000Z');
  });

  it('keeps the benefits after cancelling until the paid term ends', async () => {
    clock.set(new Date('2026-06-01T00:00:00Z'));
    const member = await createMember(hub.services);
    await subscribeSuper(member.id, 'c1');
    clock.set(new Date('2026-09-01T00:00:00Z'));
    const cancelled = await cancelPaidMembership(hub.services, member.id);
    expect(cancelled).toMatchObject({ paid: true, status: 'cancelled' });
    clock.set(new Date('2027-05-31T23:59:59Z'));
    expect(await paidStatus(hub.services, member.id)).toMatchObject({ paid: true });
    expect(await isPaidMember(hub.services, member.id)).toBe(true);
    clock.set(new Date('2027-06-01T00:00:00Z'));
    await expirePaidMemberships(hub.services);
    expect(await paidStatus(hub.services, member.id)).toMatchObject({
      paid: false,
      status: 'expired',
    });
  });

  it('turns a trial into a paid term that starts at once', async () => {
    clock.set(new Date('2026-07-01T00:00:00Z'));
    const member = await createMember(hub.services);
    await startTrial(hub.services, { memberId: member.id, planCode: 'super' });
    clock.set(new Date('2026-07-10T00:00:00Z'));
    const paid = await subscribeSuper(member.id, 't1');
    expect(paid.term.startsAt.toISOString()).toBe('2026-07-10T00:00:00.000Z');
    expect(paid.status).toMatchObject({ status: 'active', trial: false, trialUsed: true });
  });
});
