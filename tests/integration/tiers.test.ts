import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeMembership,
  type GrowthEventInput,
  loadTiers,
  qualifyingTier,
  recordGrowthEvent,
  reviewTiers,
  tierHistory,
  tierProgress,
} from '../../members/index.ts';
import { manualClock, newId } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { createMember, createPartner } from '../support/members.ts';

const clock = manualClock(new Date('2026-03-10T04:00:00Z'));
let hub: TestHub;
let partner: string;
beforeAll(async () => {
  hub = await createTestHub({ clock });
  partner = await createPartner(hub.services.db);
});
afterAll(async () => {
  await hub.close();
});

function purchase(memberId: string, amount: number, occurredAt = clock.now()): GrowthEventInput {
  return {
    memberId,
    partnerId: partner,
    kind: 'purchase',
    amount,
    eventRef: `order-${newId()}`,
    occurredAt,
  };
}

const dayMs = 86_400_000;

describe('tier ladder', () => {
  it('has the alliance defaults: 0, 500, 2,000, 3,000 CNY with 95/90/85% discounts', async () => {
    const tiers = await loadTiers(hub.services.db);
    expect(tiers.map((t) => [t.code, t.thresholdGrowth, t.discountBp, t.earnMultiplier])).toEqual([
      ['ordinary', 0, 10000, '1'],
      ['star1', 50000, 9500, '1.2'],
      ['star2', 200000, 9000, '1.5'],
      ['star3', 300000, 8500, '2'],
    ]);
    expect(qualifyingTier(tiers, 49999).code).toBe('ordinary');
    expect(qualifyingTier(tiers, 50000).code).toBe('star1');
    expect(qualifyingTier(tiers, 299999).code).toBe('star2');
    expect(qualifyingTier(tiers, 300000).code).toBe('star3');
  });
});

describe('growth value and upgrades', () => {
  it('stays one fen below a threshold and upgrades exactly at it, at once', async () => {
    const member = await createMember(hub.services);
    const below = await recordGrowthEvent(hub.services, purchase(member.id, 49999));
    expect(below).toMatchObject({
      growthValue: 49999,
      tier: { code: 'ordinary' },
      tierChange: null,
    });
    const progress = await tierProgress(hub.services, member.id);
    expect(progress.next).toMatchObject({ tier: { code: 'star1' }, growthNeeded: 1 });

    const at = await recordGrowthEvent(hub.services, purchase(member.id, 1));
    expect(at).toMatchObject({
      growthValue: 50000,
      tier: { code: 'star1' },
      tierChange: { fromTier: 'ordinary', toTier: 'star1', reason: 'growth', growthValue: 50000 },
    });
    const after = await tierProgress(hub.services, member.id);
    expect(after.tier.code).toBe('star1');
    expect(after.next).toMatchObject({ tier: { code: 'star2' }, growthNeeded: 150000 });
    expect(after.reviewAt?.toISOString()).toBe('2027-03-10T04:00:00.000Z');
  });

  it('counts check-ins and reviews, and a repeated event only once', async () => {
    const member = await createMember(hub.services);
    const event: GrowthEventInput = {
      memberId: member.id,
      partnerId: partner,
      kind: 'check_in',
      amount: 100,
      eventRef: `checkin-${newId()}`,
      occurredAt: clock.now(),
    };
    const first = await recordGrowthEvent(hub.services, event);
    const again = await recordGrowthEvent(hub.services, event);
    expect(again).toMatchObject({ duplicate: true, eventId: first.eventId, growthValue: 100 });
    await expect(recordGrowthEvent(hub.services, { ...event, amount: 200 })).rejects.toMatchObject({
      type: 'conflict',
    });
    await expect(
      recordGrowthEvent(hub.services, { ...event, eventRef: 'r', kind: 'refund', amount: 5 }),
    ).rejects.toMatchObject({ type: 'validation_failed' });
  });

  it('counts concurrent events for one member each once, and moves the tier up one step at a time', async () => {
    const member = await createMember(hub.services);
    const results = await Promise.all(
      Array.from({ length: 12 }, () => recordGrowthEvent(hub.services, purchase(member.id, 25000))),
    );
    // Each event saw the ones committed before it: the sums are 25,000 apart, none repeated.
    expect(results.map((r) => r.growthValue).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 12 }, (_, i) => (i + 1) * 25000),
    );
    const progress = await tierProgress(hub.services, member.id);
    expect(progress).toMatchObject({ growthValue: 300000, tier: { code: 'star3' } });
    // Every change starts where the previous one ended: no two events upgraded from one tier.
    const history = await tierHistory(hub.services.db, member.id);
    const moves = history.filter((h) => h.reason === 'growth');
    expect(moves.map((h) => h.toTier)).toEqual([...new Set(moves.map((h) => h.toTier))]);
    for (let i = 1; i < moves.length; i += 1) expect(moves[i]?.fromTier).toBe(moves[i - 1]?.toTier);
    expect(moves.at(-1)?.toTier).toBe('star3');
    expect(results.filter((r) => r.tierChange !== null)).toHaveLength(moves.length);
  });

  it('refuses an event for a closed membership, and records nothing', async () => {
    const member = await createMember(hub.services);
    await closeMembership(hub.services, {
      memberId: member.id,
      reason: 'test',
      forfeitPoints: async () => {},
    });
    await expect(recordGrowthEvent(hub.services, purchase(member.id, 100))).rejects.toMatchObject({
      type: 'not_found',
    });
    const events = await hub.services.db
      .selectFrom('growth_events')
      .select('id')
      .where('member_id', '=', member.id)
      .execute();
    expect(events).toEqual([]);
  });

  it('upgrades mid-period straight to the tier reached, restarting the review date', async () => {
    const member = await createMember(hub.services);
    await recordGrowthEvent(hub.services, purchase(member.id, 60000));
    clock.advanceMs(100 * dayMs);
    const jump = await recordGrowthEvent(hub.services, purchase(member.id, 250000));
    expect(jump.tierChange).toMatchObject({ fromTier: 'star1', toTier: 'star3', reason: 'growth' });
    const progress = await tierProgress(hub.services, member.id);
    expect(progress.tier.code).toBe('star3');
    expect(progress.next).toBeNull();
    expect(progress.reviewAt?.getTime()).toBeGreaterThan(clock.now().getTime() + 360 * dayMs);
    expect((await tierHistory(hub.services.db, member.id)).map((c) => c.toTier)).toEqual([
      'star1',
      'star3',
    ]);
  });

  it('does not downgrade on a refund before the review', async () => {
    const member = await createMember(hub.services);
    const order = purchase(member.id, 60000);
    await recordGrowthEvent(hub.services, order);
    const refund = await recordGrowthEvent(hub.services, {
      ...order,
      kind: 'refund',
      amount: -60000,
      eventRef: `refund-${order.eventRef}`,
    });
    expect(refund).toMatchObject({ growthValue: 0, tier: { code: 'star1' }, tierChange: null });
    const progress = await tierProgress(hub.services, member.id);
    expect(progress.tierIfReviewedNow.code).toBe('ordinary');
  });
});

describe('review', () => {
  it('downgrades only at the review date, to the tier the rolling window still gives', async () => {
    clock.set(new Date('2026-06-01T02:00:00Z'));
    const member = await createMember(hub.services);
    await recordGrowthEvent(hub.services, purchase(member.id, 210000)); // star2
    clock.set(new Date('2027-01-15T02:00:00Z'));
    await recordGrowthEvent(hub.services, purchase(member.id, 60000));

    // The June spend has left the 12-month window: growth is 60,000, but no review yet.
    clock.set(new Date('2027-06-01T01:59:59Z'));
    expect(await tierProgress(hub.services, member.id)).toMatchObject({
      tier: { code: 'star2' },
      growthValue: 270000,
    });
    clock.set(new Date('2027-06-01T02:00:00Z'));
    const waiting = await tierProgress(hub.services, member.id);
    expect(waiting).toMatchObject({ tier: { code: 'star2' }, growthValue: 60000 });
    expect(waiting.tierIfReviewedNow.code).toBe('star1');

    const review = await reviewTiers(hub.services);
    expect(review.downgraded).toBeGreaterThanOrEqual(1);
    const after = await tierProgress(hub.services, member.id);
    expect(after.tier.code).toBe('star1');
    expect(after.reviewAt?.toISOString()).toBe('2028-06-01T02:00:00.000Z');
    const history = await tierHistory(hub.services.db, member.id);
    expect(history.at(-1)).toMatchObject({
      fromTier: 'star2',
      toTier: 'star1',
      reason: 'review',
      growthValue: 60000,
    });

    // A second run at the same moment finds nothing more to do for this member.
    await reviewTiers(hub.services);
    expect(await tierHistory(hub.services.db, member.id)).toHaveLength(history.length);
  });

  it('keeps the tier at review when the window still supports it, and moves the review date', async () => {
    clock.set(new Date('2028-01-01T00:00:00Z'));
    const member = await createMember(hub.services);
    await recordGrowthEvent(hub.services, purchase(member.id, 50000));
    clock.set(new Date('2028-12-01T00:00:00Z'));
    await recordGrowthEvent(hub.services, purchase(member.id, 50000));
    clock.set(new Date('2029-01-01T00:00:00Z'));
    await reviewTiers(hub.services);
    const progress = await tierProgress(hub.services, member.id);
    expect(progress.tier.code).toBe('star1');
    expect(progress.reviewAt?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
  });
});

describe('tier configuration', () => {
  it('lets the operator move a threshold, and refuses a ladder that does not rise', async () => {
    const { updateTier } = await import('../../members/index.ts');
    await expect(
      updateTier(hub.services, 'star2', { thresholdGrowth: 50000 }),
    ).rejects.toMatchObject({ type: 'business_rule' });
    await expect(updateTier(hub.services, 'star1', { earnMultiplier: 'fast' })).rejects.toThrow();
    const tiers = await updateTier(hub.services, 'star1', { thresholdGrowth: 60000 });
    expect(tiers.find((t) => t.code === 'star1')?.thresholdGrowth).toBe(60000);
    await updateTier(hub.services, 'star1', { thresholdGrowth: 50000 });
  });
});
