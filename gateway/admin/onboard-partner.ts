import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { OnboardPartnerSchema, onboardPartner } from '../../partners/index.ts';
import { audited, auditState } from '../audit.ts';
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
    const input = c.req.valid('json');
    const partner = await audited(c, async (tx) => {
      const made = await onboardPartner(tx, input, `staff:${c.get('staff').id}`);
      const after = auditState(partnerView(made));
      return { result: made, audit: { action: 'partner.onboard', subject: made.id, after } };
    });
    c.get('logger').info({ partnerId: partner.id }, 'partner onboarded');
    return c.json(partnerView(partner), 201);
  });
}
