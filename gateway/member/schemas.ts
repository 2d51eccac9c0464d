import { z } from '@hono/zod-openapi';
import type {
  AvailableBenefit,
  MemberProfile,
  PaidStatusView,
  PaymentView,
  TierProgress,
  TierView,
} from '../../members/index.ts';

/** Response schemas of the member API, and the mapping of domain values onto them. */

const iso = z.string().openapi({ format: 'date-time', example: '2026-05-01T08:00:00.000Z' });
const isoOrNull = iso.nullable();
const isoOf = (d: Date | null): string | null => (d ? d.toISOString() : null);

export const ContactSchema = z.object({
  phone: z.string().min(3).max(32).optional().openapi({ example: '+8613800000001' }),
  email: z.string().min(3).max(254).optional(),
});

export const ConsentsSchema = z.object({
  marketing: z.boolean(),
  partnerSharing: z.boolean(),
  updatedAt: isoOrNull,
});

export const ProfileSchema = z
  .object({
    id: z.string().uuid(),
    phone: z.string().nullable(),
    email: z.string().nullable(),
    displayName: z.string(),
    status: z.enum(['active', 'closed']),
    memberSince: iso,
    consents: ConsentsSchema,
  })
  .openapi('MemberProfile');

export function profileJson(p: MemberProfile): z.infer<typeof ProfileSchema> {
  return {
    id: p.id,
    phone: p.phone,
    email: p.email,
    displayName: p.displayName,
    status: p.status,
    memberSince: p.createdAt.toISOString(),
    consents: {
      marketing: p.consents.marketing,
      partnerSharing: p.consents.partnerSharing,
      updatedAt: isoOf(p.consents.updatedAt),
    },
  };
}

export const TierSchema = z
  .object({
    code: z.string(),
    name: z.string(),
    rank: z.number().int(),
    thresholdGrowth: z.number().int().openapi({ description: 'fen of rolling qualifying spend' }),
    discountBp: z.number().int().openapi({ description: 'share of the price paid; 9500 = 95%' }),
    earnMultiplier: z.string().openapi({ example: '1.5' }),
  })
  .openapi('Tier');

export const tierJson = (t: TierView): z.infer<typeof TierSchema> => ({ ...t });

export const TierProgressSchema = z
  .object({
    tier: TierSchema,
    tierSince: iso,
    growthValue: z.number().int(),
    windowMonths: z.number().int(),
    reviewAt: isoOrNull,
    tierIfReviewedNow: TierSchema,
    next: z.object({ tier: TierSchema, growthNeeded: z.number().int() }).nullable(),
  })
  .openapi('TierProgress');

export function progressJson(p: TierProgress): z.infer<typeof TierProgressSchema> {
  return {
    tier: tierJson(p.tier),
    tierSince: p.tierSince.toISOString(),
    growthValue: p.growthValue,
    windowMonths: p.windowMonths,
    reviewAt: isoOf(p.reviewAt),
    tierIfReviewedNow: tierJson(p.tierIfReviewedNow),
    next: p.next ? { tier: tierJson(p.next.tier), growthNeeded: p.next.growthNeeded } : null,
  };
}

export const PaidStatusSchema = z
  .object({
    paid: z.boolean().openapi({ description: 'the paid benefits apply now' }),
    status: z.enum(['none', 'trial', 'active', 'cancelled', 'expired']),
    plan: z.object({ code: z.string(), name: z.string() }).nullable(),
    trial: z.boolean(),
    since: isoOrNull,
    paidThrough: isoOrNull,
    cancelledAt: isoOrNull,
    trialUsed: z.boolean(),
    autoRenew: z.boolean().openapi({
      description: 'renews by itself (a trial: converts into a paid term at its end)',
    }),
    nextCharge: z
      .object({ at: iso, amountMinor: z.int(), currency: z.string() })
      .nullable()
      .openapi({ description: 'the automatic charge to come, at the fee for your tier now' }),
    savedSoFar: z
      .object({
        since: iso,
        extraPoints: z.int(),
        extraPointsValueMinor: z.int(),
        benefitUses: z.int(),
        benefitValueMinor: z.int(),
        savedMinor: z.int(),
        feesPaidMinor: z.int(),
      })
      .nullable()
      .optional()
      .openapi({
        description:
          'since the membership began: points the paid membership added (valued at the point value) plus paid-only benefits used, against the fees paid',
      }),
  })
  .openapi('PaidMembershipStatus');

export function paidJson(s: PaidStatusView): z.infer<typeof PaidStatusSchema> {
  return {
    ...s,
    since: isoOf(s.since),
    paidThrough: isoOf(s.paidThrough),
    cancelledAt: isoOf(s.cancelledAt),
    nextCharge: s.nextCharge ? { ...s.nextCharge, at: s.nextCharge.at.toISOString() } : null,
  };
}

export const PaymentSchema = z
  .object({
    id: z.uuid(),
    purpose: z.enum(['subscribe', 'renew', 'auto_renew', 'trial_conversion']),
    planCode: z.string(),
    amountMinor: z.int(),
    currency: z.string(),
    status: z.enum(['pending', 'confirmed', 'failed']),
    failureReason: z.string().nullable(),
    provider: z.string(),
    payUrl: z.string().nullable(),
    createdAt: iso,
    settledAt: isoOrNull,
    term: z.object({ id: z.uuid(), startsAt: iso, endsAt: iso }).nullable(),
  })
  .openapi('MembershipPayment');

export function paymentJson(p: PaymentView): z.infer<typeof PaymentSchema> {
  return {
    ...p,
    createdAt: p.createdAt.toISOString(),
    settledAt: isoOf(p.settledAt),
    term: p.term
      ? {
          id: p.term.id,
          startsAt: p.term.startsAt.toISOString(),
          endsAt: p.term.endsAt.toISOString(),
        }
      : null,
  };
}

export const PaidPurchaseSchema = z
  .object({
    replayed: z.boolean().openapi({ description: 'this Idempotency-Key had paid before' }),
    payment: PaymentSchema,
    membership: PaidStatusSchema,
  })
  .openapi('PaidPurchase');

export const OfferSchema = z
  .object({
    tier: z.object({ code: z.string(), name: z.string() }),
    membership: PaidStatusSchema,
    trial: z.object({ available: z.boolean(), used: z.boolean() }),
    plans: z.array(
      z.object({
        code: z.string(),
        name: z.string(),
        description: z.string(),
        currency: z.string(),
        termMonths: z.int(),
        feeMinor: z.int().openapi({ description: 'what you pay, at your tier' }),
        standardFeeMinor: z.int(),
        tierFeesMinor: z.record(z.string(), z.int()),
      }),
    ),
    includes: z.object({
      benefits: z.array(
        z.object({
          id: z.uuid(),
          brand: z.string().nullable(),
          title: z.string(),
          kind: z.string(),
          description: z.string(),
        }),
      ),
      earnMultipliers: z.array(
        z.object({ partnerId: z.uuid(), brand: z.string(), multiplier: z.string() }),
      ),
    }),
  })
  .openapi('PaidOffer');

export const MemberMessageSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(['renewal_reminder', 'renewed', 'renewal_failed', 'trial_converted']),
    subject: z.string(),
    body: z.string(),
    createdAt: iso,
  })
  .openapi('MemberMessage');

export const BenefitSchema = z
  .object({
    id: z.string().uuid(),
    publisher: z.union([
      z.object({ partnerId: z.string().uuid(), code: z.string(), brand: z.string() }),
      z.object({ hub: z.literal(true) }),
    ]),
    code: z.string(),
    title: z.string(),
    description: z.string(),
    kind: z.enum(['discount_rate', 'coupon', 'free_shipping', 'earn_multiplier', 'service_perk']),
    params: z.record(z.string(), z.unknown()),
    targetTiers: z.array(z.string()).nullable(),
    paidOnly: z.boolean(),
    validFrom: iso,
    validUntil: isoOrNull,
    usageLimit: z
      .object({
        count: z.number().int(),
        period: z.enum(['day', 'week', 'month', 'year', 'lifetime']),
      })
      .nullable(),
    usesLeft: z.number().int().nullable().openapi({ description: 'null: no limit' }),
    usedThisPeriod: z.number().int(),
    periodEndsAt: isoOrNull,
  })
  .openapi('AvailableBenefit');

export function benefitJson(b: AvailableBenefit): z.infer<typeof BenefitSchema> {
  return {
    ...b,
    validFrom: b.validFrom.toISOString(),
    validUntil: isoOf(b.validUntil),
    periodEndsAt: isoOf(b.periodEndsAt),
  };
}
