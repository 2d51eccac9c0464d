import { z } from 'zod';
import {
  AppError,
  assertAmount,
  MoneyError,
  multiplyFloor,
  parseRatio,
  type Ratio,
} from '../platform/index.ts';

/**
 * Earn and burn rules, and the pure functions that apply them. Rates and multipliers are exact
 * decimal strings; the arithmetic is exact (bigint fractions) and rounds DOWN once, at the end:
 * a member never gets a fraction of a point, and never loses one to rounding along the way.
 */

const decimal = z
  .string()
  .regex(/^\d{1,12}(\.\d{1,9})?$/, 'a non-negative decimal string such as "0.01"');
const localDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');
const name = z.string().trim().min(1).max(64);

export const CampaignSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'lowercase letters, digits and "-"'),
    name: z.string().trim().min(1).max(200),
    multiplier: decimal,
    /** Dates are local to the alliance's time zone; both ends of a range are included. */
    window: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('monthly'), dayOfMonth: z.number().int().min(1).max(31) }),
      z.object({ kind: z.literal('dates'), from: localDate, to: localDate }),
    ]),
  })
  .strict();
export type Campaign = z.infer<typeof CampaignSchema>;

export const EarnRuleSchema = z
  .object({
    /** Points per minor currency unit: "0.01" is 1 point per 1 CNY (100 fen). */
    pointsPerMinor: decimal.default('0.01'),
    /** Per-category rates replacing pointsPerMinor for that category's lines. */
    categoryRates: z.record(name, decimal).default({}),
    tierMultipliers: z.record(name, decimal).default({}),
    paidMemberMultiplier: decimal.default('1'),
    /** Campaigns do not stack: the best one active at the time of purchase applies. */
    campaigns: z.array(CampaignSchema).max(50).default([]),
    // Bounded like every input; one accrual never exceeds the ledger's 1e9 points per request.
    capPerTransaction: z.number().int().min(0).max(1_000_000_000).nullable().default(null),
  })
  .strict();
export type EarnRule = z.infer<typeof EarnRuleSchema>;

export const BurnRuleSchema = z
  .object({
    /** The largest share of an order that points may pay, "0.5" = 50%. */
    maxShare: decimal.refine((s) => Number(s) <= 1, 'at most 1').default('0.5'),
  })
  .strict();
/** The partner's burn rule with the alliance's point value (minor units per point). */
export type BurnRule = z.infer<typeof BurnRuleSchema> & { pointValueMinor: string };

export const defaultEarnRule: EarnRule = EarnRuleSchema.parse({});
export const defaultBurnRule: z.infer<typeof BurnRuleSchema> = BurnRuleSchema.parse({});

export type Purchase = {
  amountMinor: number;
  /** Lines by category; what they do not cover earns at the base rate. */
  lines?: { category: string; amountMinor: number }[];
};
export type MemberContext = {
  tier: string | null;
  paidMember: boolean;
  /** A benefit the member holds that multiplies points here (the best one; they do not stack). */
  benefit?: { name: string; value: string };
};

export type Multiplier = {
  source: 'tier' | 'paid-member' | 'benefit' | 'campaign';
  name: string;
  value: string;
};
export type Accrual = {
  points: number;
  /** Points before multipliers and cap, rounded down: what the rates alone give. */
  basePoints: number;
  lines: { category: string | null; amountMinor: number; rate: string }[];
  multipliers: Multiplier[];
  capped: boolean;
  /** One sentence naming the rule that gave the points. */
  explanation: string;
};

type Fraction = { n: bigint; d: bigint };
const frac = (r: Ratio): Fraction => ({ n: BigInt(r.numerator), d: BigInt(r.denominator) });
const times = (a: Fraction, b: Fraction): Fraction => ({ n: a.n * b.n, d: a.d * b.d });
const plus = (a: Fraction, b: Fraction): Fraction => ({ n: a.n * b.d + b.n * a.d, d: a.d * b.d });
/** Rounds down (toward zero; every quantity here is non-negative). */
function floorOf(a: Fraction): number {
  const n = Number(a.n / a.d);
  if (!Number.isSafeInteger(n)) throw new MoneyError('points out of the exact integer range');
  return n;
}

// Making an Intl.DateTimeFormat costs far more than formatting with one, and every accrual
// asks for a date: one formatter per time zone, kept for the life of the process.
const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar date (YYYY-MM-DD) of an instant in a time zone. */
export function localDateOf(at: Date, timeZone: string): string {
  let format = dateFormats.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    dateFormats.set(timeZone, format);
  }
  return format.format(at);
}

export function campaignActive(campaign: Campaign, day: string): boolean {
  const w = campaign.window;
  if (w.kind === 'monthly') return Number(day.slice(8, 10)) === w.dayOfMonth;
  return w.from <= day && day <= w.to;
}

function pricedLines(rule: EarnRule, purchase: Purchase): Accrual['lines'] {
  assertAmount(purchase.amountMinor, 'amountMinor');
  const lines: Accrual['lines'] = (purchase.lines ?? []).map((line) => ({
    category: line.category,
    amountMinor: assertAmount(line.amountMinor, 'line amountMinor'),
    rate: rule.categoryRates[line.category] ?? rule.pointsPerMinor,
  }));
  const covered = lines.reduce((sum, l) => sum + l.amountMinor, 0);
  if (lines.some((l) => l.amountMinor < 0) || purchase.amountMinor < 0) {
    throw new AppError('validation_failed', 'Amounts cannot be negative.');
  }
  if (covered > purchase.amountMinor) {
    throw new AppError('validation_failed', 'The lines add up to more than the purchase amount.');
  }
  const rest = purchase.amountMinor - covered;
  if (rest > 0 || lines.length === 0) {
    lines.push({ category: null, amountMinor: rest, rate: rule.pointsPerMinor });
  }
  return lines;
}

function multipliersFor(
  rule: EarnRule,
  member: MemberContext,
  at: { instant: Date; timeZone: string },
): Multiplier[] {
  const found: Multiplier[] = [];
  const tierValue = member.tier === null ? undefined : rule.tierMultipliers[member.tier];
  if (member.tier !== null && tierValue !== undefined) {
    found.push({ source: 'tier', name: member.tier, value: tierValue });
  }
  if (member.paidMember && rule.paidMemberMultiplier !== '1') {
    found.push({
      source: 'paid-member',
      name: 'paid super-member',
      value: rule.paidMemberMultiplier,
    });
  }
  if (member.benefit) {
    found.push({ source: 'benefit', name: member.benefit.name, value: member.benefit.value });
  }
  const day = localDateOf(at.instant, at.timeZone);
  const best = rule.campaigns
    .filter((c) => campaignActive(c, day))
    .sort((a, b) => compareDecimal(b.multiplier, a.multiplier))[0];
  if (best) found.push({ source: 'campaign', name: best.id, value: best.multiplier });
  return found;
}

function compareDecimal(a: string, b: string): number {
  const x = frac(parseRatio(a));
  const y = frac(parseRatio(b));
  const diff = x.n * y.d - y.n * x.d;
  return diff > 0n ? 1 : diff < 0n ? -1 : 0;
}

/**
 * Points for a purchase: sum of each line's amount times its rate, times every multiplier
 * (member tier, paid super-member, the best active campaign), rounded down once, then capped.
 */
export function computeAccrual(
  rule: EarnRule,
  purchase: Purchase,
  member: MemberContext,
  at: { instant: Date; timeZone: string },
): Accrual {
  const lines = pricedLines(rule, purchase);
  const base = lines.reduce<Fraction>(
    (sum, l) => plus(sum, times({ n: BigInt(l.amountMinor), d: 1n }, frac(parseRatio(l.rate)))),
    { n: 0n, d: 1n },
  );
  const multipliers = multipliersFor(rule, member, at);
  const total = multipliers.reduce((acc, m) => times(acc, frac(parseRatio(m.value))), base);
  const uncapped = floorOf(total);
  const cap = rule.capPerTransaction;
  const capped = cap !== null && uncapped > cap;
  const points = capped ? cap : uncapped;
  const parts = [
    `${purchase.amountMinor} minor units at ${lines.map((l) => `${l.rate}${l.category ? ` (${l.category})` : ''}`).join(' + ')}`,
    ...multipliers.map((m) => `x${m.value} ${m.source} ${m.name}`),
    'rounded down',
    ...(capped ? [`capped at ${cap}`] : []),
  ];
  return {
    points,
    basePoints: floorOf(base),
    lines,
    multipliers,
    capped,
    explanation: `${points} points: ${parts.join(', ')}`,
  };
}

/**
 * The most points an order may be paid with: the burn rule's share of the amount (rounded
 * down to a minor unit), converted at the alliance's point value (rounded down to a point),
 * so the points never pay more than the share.
 */
export function maxRedeemablePoints(orderAmountMinor: number, rule: BurnRule): number {
  const payableMinor = multiplyFloor(assertAmount(orderAmountMinor), parseRatio(rule.maxShare));
  const value = parseRatio(rule.pointValueMinor);
  if (value.numerator === 0) throw new AppError('business_rule', 'The point value is zero.');
  return multiplyFloor(payableMinor, {
    numerator: value.denominator,
    denominator: value.numerator,
  });
}

/** What a number of points is worth in minor units at the alliance's point value (down). */
export function pointsValueMinor(points: number, rule: Pick<BurnRule, 'pointValueMinor'>): number {
  return multiplyFloor(assertAmount(points), parseRatio(rule.pointValueMinor));
}
