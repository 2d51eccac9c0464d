import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { scorePurchase } from '../../counter/index.ts';
import { cachedTiers } from '../../members/index.ts';
import { type Accrual, getPartner, getPartnerRules } from '../../partners/index.ts';
import type { Services } from '../../platform/index.ts';
import type { StaffEnv } from '../context.ts';
import { json, PartnerIdParam, partnerAdminProblems } from '../schemas.ts';

const amount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const PreviewSchema = z
  .object({
    amountMinor: amount,
    lines: z
      .array(z.object({ category: z.string().min(1).max(64), amountMinor: amount }).strict())
      .max(500)
      .optional(),
    tier: z.string().min(1).max(64).nullable().default(null),
    paidMember: z.boolean().default(false),
    at: z.iso.datetime({ offset: true }).optional().openapi({ description: 'default: now' }),
  })
  .strict();

const AccrualSchema = z
  .object({
    points: z.number().int(),
    basePoints: z.number().int(),
    lines: z.array(
      z.object({
        category: z.string().nullable(),
        amountMinor: z.number().int(),
        rate: z.string(),
      }),
    ),
    multipliers: z.array(
      z.object({
        source: z.enum(['tier', 'paid-member', 'benefit', 'campaign']),
        name: z.string(),
        value: z.string(),
      }),
    ),
    capped: z.boolean(),
    explanation: z.string(),
  })
  .openapi('AccrualPreview');

export const route = createRoute({
  method: 'post',
  path: '/partners/{partnerId}/rules/earn/preview',
  tags: ['admin'],
  summary: 'What the partner’s earn rule would award for a purchase (nothing is booked)',
  security: [{ staffToken: [] }],
  request: {
    params: PartnerIdParam,
    body: { content: { 'application/json': { schema: PreviewSchema } } },
  },
  responses: {
    200: json(AccrualSchema, 'The points and the rule that gave them'),
    ...partnerAdminProblems,
  },
});

export type PreviewInput = z.infer<typeof PreviewSchema>;

/** What the partner's earn rule awards for a purchase, scored as the counter scores it. */
export async function previewAccrual(
  services: Services,
  partnerId: string,
  input: PreviewInput,
): Promise<Accrual> {
  const { db, clock } = services;
  const partner = await getPartner(db, partnerId);
  const [rules, tiers] = await Promise.all([getPartnerRules(db, partner.id), cachedTiers(db)]);
  // Scored as a purchase at the counter is, alliance tiers included.
  return scorePurchase(
    rules,
    tiers,
    {
      amountMinor: input.amountMinor,
      lines: input.lines,
      at: input.at ? new Date(input.at) : clock.now(),
    },
    { tier: input.tier, paidMember: input.paidMember },
  );
}

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(route, async (c) => {
    const { partnerId } = c.req.valid('param');
    return c.json(await previewAccrual(c.get('services'), partnerId, c.req.valid('json')), 200);
  });
}
