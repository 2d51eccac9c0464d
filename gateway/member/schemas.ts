import { z } from '@hono/zod-openapi';
import type {
  AvailableBenefit,
  MemberProfile,
  PaidStatusView,
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
  })
  .openapi('PaidMembershipStatus');

export function paidJson(s: PaidStatusView): z.infer<typeof PaidStatusSchema> {
  return {
    ...s,
    since: isoOf(s.since),
    paidThrough: isoOf(s.paidThrough),
    cancelledAt: isoOf(s.cancelledAt),
  };
}

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
