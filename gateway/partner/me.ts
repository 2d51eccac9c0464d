import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { getPartner } from '../../partners/index.ts';
import type { PartnerEnv } from '../context.ts';
import { json, PartnerSchema, partnerView, problems } from '../schemas.ts';

export const route = createRoute({
  method: 'get',
  path: '/me',
  tags: ['partner'],
  summary: 'The signing partner itself',
  description: 'A cheap signed call for checking an integration end to end.',
  security: [{ partnerSignature: [] }],
  responses: {
    200: json(PartnerSchema, 'The partner whose key signed the request'),
    401: problems[401],
    403: problems[403],
    429: problems[429],
  },
});

export function register(app: OpenAPIHono<PartnerEnv>): void {
  app.openapi(route, async (c) => {
    const partner = await getPartner(c.get('services').db, c.get('partner').id);
    return c.json(partnerView(partner), 200);
  });
}
