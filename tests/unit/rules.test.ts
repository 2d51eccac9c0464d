import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BurnRule,
  computeAccrual,
  type EarnRule,
  EarnRuleSchema,
  maxRedeemablePoints,
  pointsValueMinor,
} from '../../partners/index.ts';

const shanghai = (iso: string) => ({ instant: new Date(iso), timeZone: 'Asia/Shanghai' });
const anyDay = shanghai('2026-11-25T04:00:00Z');
const plain = { tier: null, paidMember: false };
const rule = (r: Partial<EarnRule> = {}): EarnRule => EarnRuleSchema.parse(r);

const memberDay = {
  id: 'member-day',
  name: 'Member day: double points on the 8th',
  multiplier: '2',
  window: { kind: 'monthly' as const, dayOfMonth: 8 },
};

describe('computeAccrual', () => {
  it('gives 1 point per CNY by default, rounding down', () => {
    const a = computeAccrual(rule(), { amountMinor: 12_399 }, plain, anyDay);
    expect(a.points).toBe(123);
    expect(a.explanation).toBe('123 points: 12399 minor units at 0.01, rounded down');
  });

  it('uses category rates for their lines and the base rate for the rest, rounding once', () => {
    const r = rule({ categoryRates: { tea: '0.02' } });
    const a = computeAccrual(
      r,
      { amountMinor: 10_000, lines: [{ category: 'tea', amountMinor: 2_550 }] },
      plain,
      anyDay,
    );
    // 2550 x 0.02 = 51, 7450 x 0.01 = 74.5: 125.5 rounds down to 125.
    expect(a.points).toBe(125);
    expect(a.lines.map((l) => l.rate)).toEqual(['0.02', '0.01']);
    // Two halves of a point make a whole one: rounding happens once, at the end.
    const halves = computeAccrual(
      rule({ categoryRates: { tea: '0.01' } }),
      { amountMinor: 300, lines: [{ category: 'tea', amountMinor: 150 }] },
      plain,
      anyDay,
    );
    expect(halves.points).toBe(3);
  });

  it('multiplies by the member tier and the paid super-membership', () => {
    const r = rule({ tierMultipliers: { gold: '1.5' }, paidMemberMultiplier: '2' });
    expect(
      computeAccrual(r, { amountMinor: 999 }, { tier: 'gold', paidMember: false }, anyDay).points,
    ).toBe(14); // 14.985
    const both = computeAccrual(
      r,
      { amountMinor: 10_000 },
      { tier: 'gold', paidMember: true },
      anyDay,
    );
    expect(both.points).toBe(300);
    expect(both.multipliers.map((m) => m.source)).toEqual(['tier', 'paid-member']);
    expect(
      computeAccrual(r, { amountMinor: 10_000 }, { tier: 'silver', paidMember: false }, anyDay)
        .points,
    ).toBe(100);
  });

  it('doubles points on member day, the 8th in Asia/Shanghai, not the 8th in UTC', () => {
    const r = rule({ campaigns: [memberDay] });
    // 00:30 on 8 December in Shanghai is still 7 December in UTC.
    const early = computeAccrual(
      r,
      { amountMinor: 10_000 },
      plain,
      shanghai('2026-12-07T16:30:00Z'),
    );
    expect(early.points).toBe(200);
    expect(early.multipliers).toEqual([{ source: 'campaign', name: 'member-day', value: '2' }]);
    // 00:30 on 9 December in Shanghai is 8 December in UTC: no campaign.
    expect(
      computeAccrual(r, { amountMinor: 10_000 }, plain, shanghai('2026-12-08T16:30:00Z')).points,
    ).toBe(100);
  });

  it("judges the day in each partner's own time zone, whichever was asked first", () => {
    const r = rule({ campaigns: [memberDay] });
    const instant = new Date('2026-12-07T16:30:00Z');
    const points = (timeZone: string) =>
      computeAccrual(r, { amountMinor: 10_000 }, plain, { instant, timeZone }).points;
    // The 8th in Shanghai, still the 7th in UTC and in New York.
    expect(points('Asia/Shanghai')).toBe(200);
    expect(points('UTC')).toBe(100);
    expect(points('America/New_York')).toBe(100);
    expect(points('Asia/Shanghai')).toBe(200);
  });

  it('applies a date-range campaign on both end days, and only the best campaign', () => {
    const r = rule({
      campaigns: [
        memberDay,
        {
          id: 'singles',
          name: '11.11',
          multiplier: '3',
          window: { kind: 'dates', from: '2026-11-08', to: '2026-11-11' },
        },
      ],
    });
    expect(
      computeAccrual(r, { amountMinor: 1_000 }, plain, shanghai('2026-11-07T16:00:00Z')).points,
    ).toBe(30);
    expect(
      computeAccrual(r, { amountMinor: 1_000 }, plain, shanghai('2026-11-11T15:59:59Z')).points,
    ).toBe(30);
    expect(
      computeAccrual(r, { amountMinor: 1_000 }, plain, shanghai('2026-11-11T16:00:00Z')).points,
    ).toBe(10);
  });

  it('caps the points of one transaction, and says so', () => {
    const r = rule({ capPerTransaction: 500, paidMemberMultiplier: '10' });
    const a = computeAccrual(r, { amountMinor: 100_000 }, { tier: null, paidMember: true }, anyDay);
    expect(a.points).toBe(500);
    expect(a.capped).toBe(true);
    expect(a.explanation).toContain('capped at 500');
  });

  it('refuses lines that add up to more than the purchase', () => {
    expect(() =>
      computeAccrual(
        rule(),
        { amountMinor: 100, lines: [{ category: 'tea', amountMinor: 101 }] },
        plain,
        anyDay,
      ),
    ).toThrow(/more than the purchase/);
  });

  it('never awards more than the exact product, nor fewer points for a larger purchase', () => {
    const r = rule({ tierMultipliers: { gold: '1.25' }, paidMemberMultiplier: '1.5' });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 ** 9 }),
        fc.integer({ min: 0, max: 10_000 }),
        (amount, extra) => {
          const member = { tier: 'gold', paidMember: true };
          const a = computeAccrual(r, { amountMinor: amount }, member, anyDay).points;
          const b = computeAccrual(r, { amountMinor: amount + extra }, member, anyDay).points;
          // exact value: amount x 0.01 x 1.25 x 1.5 = amount x 15 / 800
          return a <= (amount * 15) / 800 && (amount * 15) / 800 - a < 1 && b >= a;
        },
      ),
    );
  });
});

describe('burn rules', () => {
  const defaults: BurnRule = { maxShare: '0.5', pointValueMinor: '1' };

  it('lets points pay at most half an order by default, 100 points = 1 CNY', () => {
    expect(maxRedeemablePoints(10_000, defaults)).toBe(5_000);
    expect(maxRedeemablePoints(999, defaults)).toBe(499);
    expect(pointsValueMinor(5_000, defaults)).toBe(5_000);
  });

  it('never lets the points be worth more than the allowed share', () => {
    const rule: BurnRule = { maxShare: '0.3', pointValueMinor: '1.5' };
    const points = maxRedeemablePoints(1_001, rule); // share 300.3 -> 300 fen -> 200 points
    expect(points).toBe(200);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 10 }), (order) => {
        const p = maxRedeemablePoints(order, rule);
        return p * 1.5 <= order * 0.3 + 1e-6;
      }),
    );
  });
});
