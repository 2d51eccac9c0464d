import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { publishBenefit, publisherBenefits, withdrawBenefit } from '../../members/index.ts';
import { audited, auditState } from '../audit.ts';
import {
  BenefitIdParam,
  PublishBenefitSchema,
  PublishedBenefitSchema,
  publishedBenefitView,
  publishInput,
  WithdrawnSchema,
} from '../benefit-schemas.ts';
import type { StaffEnv } from '../context.ts';
import { json, partnerAdminProblems, problems } from '../schemas.ts';

/** The hub's own benefits (no partner behind them): the operator publishes and withdraws them. */

const security = [{ staffToken: [] }];

export const publishRoute = createRoute({
  method: 'post',
  path: '/benefits',
  tags: ['admin'],
  summary: 'Publish a hub benefit, offered to members at every brand',
  security,
  request: { body: { content: { 'application/json': { schema: PublishBenefitSchema } } } },
  responses: {
    201: json(PublishedBenefitSchema, 'The benefit, published'),
    ...partnerAdminProblems,
    409: problems[409],
  },
});

export const listRoute = createRoute({
  method: 'get',
  path: '/benefits',
  tags: ['admin'],
  summary: 'The hub’s active benefits (partners’ own are theirs to list)',
  security,
  responses: {
    200: json(z.object({ benefits: z.array(PublishedBenefitSchema) }), 'Oldest first'),
    401: problems[401],
    403: problems[403],
  },
});

export const withdrawRoute = createRoute({
  method: 'post',
  path: '/benefits/{benefitId}/withdraw',
  tags: ['admin'],
  summary: 'Withdraw a hub benefit; members no longer see or use it',
  description: 'A partner’s benefit is the partner’s to withdraw: it answers 404 here.',
  security,
  request: { params: BenefitIdParam },
  responses: { 200: json(WithdrawnSchema, 'Withdrawn'), ...partnerAdminProblems },
});

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(publishRoute, async (c) => {
    const input = publishInput(null, c.req.valid('json'));
    const benefit = await audited(c, async (tx) => {
      const published = await publishBenefit({ ...c.get('services'), db: tx }, input);
      const after = auditState(publishedBenefitView(published));
      return {
        result: published,
        audit: { action: 'benefit.publish', subject: published.id, after },
      };
    });
    c.get('logger').info({ benefitId: benefit.id }, 'hub benefit published');
    return c.json(publishedBenefitView(benefit), 201);
  });
  app.openapi(listRoute, async (c) => {
    const list = await publisherBenefits(c.get('services').db, null);
    return c.json({ benefits: list.map(publishedBenefitView) }, 200);
  });
  app.openapi(withdrawRoute, async (c) => {
    const { benefitId } = c.req.valid('param');
    await audited(c, async (tx) => {
      await withdrawBenefit({ ...c.get('services'), db: tx }, { partnerId: null, benefitId });
      const after = { status: 'withdrawn' };
      return {
        result: undefined,
        audit: { action: 'benefit.withdraw', subject: benefitId, after },
      };
    });
    c.get('logger').info({ benefitId }, 'hub benefit withdrawn');
    return c.json({ benefitId, status: 'withdrawn' as const }, 200);
  });
}
