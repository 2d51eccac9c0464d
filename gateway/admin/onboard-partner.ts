import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { OnboardPartnerSchema, onboardPartner } from '../../partners/index.ts';
import type { StaffEnv } from '../context.ts';
import { json, PartnerSchema, partnerView, problems } from '../schemas.ts';

export const route = createRoute({
  method: 'post',
  path: '/partners',
  tags: ['admin'],
  summary: 'Onboard a partner merchant',
  security: [{ staffToken: [] }],
  request: { body: { content: { 'application/json': { schema: OnboardPartnerSchema } } } },
  responses: {
    201: json(PartnerSchema, 'The new partner'),
    400: problems[400],
    401: problems[401],
    403: problems[403],
    409: problems[409],
  },
});

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(route, async (c) => {
    const partner = await onboardPartner(c.get('services').db, c.req.valid('json'));
    c.get('logger').info({ partnerId: partner.id }, 'partner onboarded');
    return c.json(partnerView(partner), 201);
  });
}
