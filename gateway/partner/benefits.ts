import { createHash } from 'node:crypto';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { publishBenefit, publisherBenefits, withdrawBenefit } from '../../members/index.ts';
import {
  BenefitIdParam,
  PublishBenefitSchema,
  PublishedBenefitSchema,
  publishedBenefitView,
  publishInput,
  WithdrawnSchema,
} from '../benefit-schemas.ts';
import type { PartnerEnv } from '../context.ts';
import { leaseIdempotency, tillKey } from '../idempotency.ts';
import { json, problems } from '../schemas.ts';
import { counterProblems, IdempotencyHeader, MemberRefSchema } from './counter-schemas.ts';

/** A partner's own benefits in the alliance catalog, and their use at its counters. */

const security = [{ partnerSignature: [] }];

const publishRoute = createRoute({
  method: 'post',
  path: '/benefits',
  tags: ['partner: benefits'],
  summary: 'Publish one of your benefits to alliance members',
  description:
    'Members of the targeted tiers (and, with paidOnly, paid super-members) see it in their benefits across brands. Codes are unique per partner: a taken code answers 409.',
  security,
  middleware: [leaseIdempotency] as const,
  request: {
    headers: IdempotencyHeader,
    body: { content: { 'application/json': { schema: PublishBenefitSchema } } },
  },
  responses: { 201: json(PublishedBenefitSchema, 'The benefit, published'), ...problems },
});

const listRoute = createRoute({
  method: 'get',
  path: '/benefits',
  tags: ['partner: benefits'],
  summary: 'Your active benefits (never another partner’s)',
  security,
  responses: {
    200: json(z.object({ benefits: z.array(PublishedBenefitSchema) }), 'Oldest first'),
    401: problems[401],
    403: problems[403],
    429: problems[429],
  },
});

const withdrawRoute = createRoute({
  method: 'post',
  path: '/benefits/{benefitId}/withdraw',
  tags: ['partner: benefits'],
  summary: 'Withdraw one of your benefits; members no longer see or use it',
  security,
  middleware: [leaseIdempotency] as const,
  request: { params: BenefitIdParam, headers: IdempotencyHeader },
  responses: { 200: json(WithdrawnSchema, 'Withdrawn'), ...problems },
});

const UseSchema = z
  .object({
    member: MemberRefSchema,
    benefitId: z.uuid(),
    useId: z.string().min(1).max(100).optional().openapi({
      description:
        'Your id for this use: a retry with the same useId counts once whatever its Idempotency-Key. Without it, the Idempotency-Key identifies the use.',
    }),
    savedMinor: z.int().min(0).max(1_000_000_000_000).optional().openapi({
      description:
        'What the use saved the member (e.g. the discount given), in minor units: it counts in their "saved so far". Coupons and free shipping default to their own amounts.',
    }),
  })
  .strict()
  .openapi('BenefitUse');

const useRoute = createRoute({
  method: 'post',
  path: '/benefit-uses',
  tags: ['partner: benefits'],
  summary: 'Record a member’s use of a benefit at your counter',
  description:
    'Your own benefits and the hub’s. A benefit that is not available to the member now answers 422 with reason benefit_not_available; one used up for the period, 422 with reason benefit_exhausted; another brand’s, 403.',
  security,
  request: {
    headers: IdempotencyHeader,
    body: { content: { 'application/json': { schema: UseSchema } } },
  },
  responses: {
    200: json(
      z.object({
        useId: z.uuid(),
        memberId: z.uuid(),
        benefitId: z.uuid(),
        duplicate: z.boolean().openapi({ description: 'recorded before; not counted again' }),
        usesLeft: z.number().int().nullable().openapi({ description: 'null: no limit' }),
      }),
      'The use, counted once',
    ),
    ...counterProblems,
  },
});

/**
 * The key under which the domain counts a use once. Scoped to the partner, because a hub
 * benefit can be used at every partner's counter and their keys may coincide; the header is
 * hashed so that any key the idempotency layer accepts fits.
 */
function useKey(partnerId: string, useId: string | undefined, header: string): string {
  if (useId !== undefined) return `${partnerId}:use:${useId}`;
  return `${partnerId}:idem:${createHash('sha256').update(header).digest('base64url')}`;
}

export function register(app: OpenAPIHono<PartnerEnv>): void {
  app.openapi(publishRoute, async (c) => {
    const input = publishInput(c.get('partner').id, c.req.valid('json'));
    const benefit = await publishBenefit(c.get('services'), input);
    return c.json(publishedBenefitView(benefit), 201);
  });
  app.openapi(listRoute, async (c) => {
    const list = await publisherBenefits(c.get('services').db, c.get('partner').id);
    return c.json({ benefits: list.map(publishedBenefitView) }, 200);
  });
  app.openapi(withdrawRoute, async (c) => {
    const { benefitId } = c.req.valid('param');
    await withdrawBenefit(c.get('services'), { partnerId: c.get('partner').id, benefitId });
    return c.json({ benefitId, status: 'withdrawn' as const }, 200);
  });
  app.openapi(useRoute, async (c) => {
    const body = c.req.valid('json');
    const partnerId = c.get('partner').id;
    const header = c.req.valid('header')['idempotency-key'];
    const { answer } = await c.get('counter').useBenefit(
      partnerId,
      {
        member: body.member,
        benefitId: body.benefitId,
        useKey: useKey(partnerId, body.useId, header),
        savedMinor: body.savedMinor,
      },
      tillKey(c),
    );
    return c.json(answer, 200);
  });
}
