import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { memberBenefits } from '../../members/index.ts';
import { problem } from '../schemas.ts';
import type { MemberEnv } from './context.ts';
import { BenefitSchema, benefitJson } from './schemas.ts';

export const getBenefitsRoute = createRoute({
  method: 'get',
  path: '/v1/me/benefits',
  tags: ['member'],
  summary: 'Every benefit offered to the member now, across all brands, with uses left',
  description:
    'A benefit used up for its period stays listed with `usesLeft` 0; `periodEndsAt` says when its uses renew. Using it before then is refused.',
  security: [{ memberSession: [] }],
  responses: {
    200: {
      content: { 'application/json': { schema: z.object({ benefits: z.array(BenefitSchema) }) } },
      description: 'Benefits',
    },
    401: problem('Not signed in'),
  },
});

export function registerBenefits(app: OpenAPIHono<MemberEnv>): void {
  app.openapi(getBenefitsRoute, async (c) => {
    const list = await memberBenefits(c.get('services'), c.get('memberId'));
    return c.json({ benefits: list.map(benefitJson) }, 200);
  });
}
