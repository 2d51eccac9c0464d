import { z } from '@hono/zod-openapi';
import { type BenefitView, benefitKinds, type PublishBenefitInput } from '../members/index.ts';
import type { BenefitKind } from '../platform/index.ts';

/**
 * The benefits catalog as its publishers (a partner through the signed API, the hub operator
 * through the admin API) write and read it. The member's own view is in member/schemas.ts.
 */

const iso = z.iso.datetime({ offset: true }).openapi({ example: '2026-12-01T00:00:00+08:00' });
const usagePeriods = ['day', 'week', 'month', 'year', 'lifetime'] as const;

export const PublishBenefitSchema = z
  .object({
    code: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9_-]{1,63}$/,
        '2 to 64 of a-z, 0-9, _ and -, starting with a letter or digit',
      )
      .openapi({ description: 'Your code for it, unique among your benefits', example: 'tea-95' }),
    title: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    kind: z.enum(benefitKinds as [BenefitKind, ...BenefitKind[]]),
    params: z.record(z.string(), z.unknown()).openapi({
      description:
        'By kind: discount_rate { rateBp, categories? } (share of the price paid, 9500 = 95%); coupon { amountOffMinor, minSpendMinor? }; free_shipping { maxShippingMinor? }; earn_multiplier { multiplier: "1.5" }; service_perk { perk }',
      example: { rateBp: 9500 },
    }),
    targetTiers: z
      .array(z.string().min(1).max(32))
      .max(20)
      .nullable()
      .optional()
      .openapi({ description: 'Tier codes; absent or null: every tier', example: ['star2'] }),
    paidOnly: z.boolean().optional(),
    validFrom: iso.optional().openapi({ description: 'Default: now' }),
    validUntil: iso.nullable().optional(),
    usageLimit: z
      .object({ count: z.number().int().min(1).max(10_000), period: z.enum(usagePeriods) })
      .strict()
      .nullable()
      .optional()
      .openapi({ description: 'Uses per member per calendar period in the alliance’s zone' }),
  })
  .strict()
  .openapi('PublishBenefit');

export type PublishBenefitBody = z.infer<typeof PublishBenefitSchema>;

export function publishInput(
  partnerId: string | null,
  body: PublishBenefitBody,
): PublishBenefitInput {
  return {
    ...body,
    partnerId,
    validFrom: body.validFrom === undefined ? undefined : new Date(body.validFrom),
    validUntil: body.validUntil ? new Date(body.validUntil) : null,
  };
}

export const PublishedBenefitSchema = z
  .object({
    id: z.uuid(),
    publisher: z.union([
      z.object({ partnerId: z.uuid(), code: z.string(), brand: z.string() }),
      z.object({ hub: z.literal(true) }),
    ]),
    code: z.string(),
    title: z.string(),
    description: z.string(),
    kind: z.enum(benefitKinds as [BenefitKind, ...BenefitKind[]]),
    params: z.record(z.string(), z.unknown()),
    targetTiers: z.array(z.string()).nullable(),
    paidOnly: z.boolean(),
    validFrom: z.string(),
    validUntil: z.string().nullable(),
    usageLimit: z.object({ count: z.number().int(), period: z.enum(usagePeriods) }).nullable(),
  })
  .openapi('PublishedBenefit');

export function publishedBenefitView(b: BenefitView): z.infer<typeof PublishedBenefitSchema> {
  return {
    ...b,
    validFrom: b.validFrom.toISOString(),
    validUntil: b.validUntil?.toISOString() ?? null,
  };
}

export const BenefitIdParam = z.object({
  benefitId: z.uuid().openapi({ param: { name: 'benefitId', in: 'path' } }),
});

export const WithdrawnSchema = z
  .object({ benefitId: z.uuid(), status: z.literal('withdrawn') })
  .openapi('WithdrawnBenefit');
