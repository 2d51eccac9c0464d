import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { getPartnerRules } from '../../partners/index.ts';
import type { PartnerEnv } from '../context.ts';
import { json, PartnerRulesSchema, problems } from '../schemas.ts';

export const route = createRoute({
  method: 'get',
  path: '/rules',
  tags: ['partner'],
  summary: 'The earn and burn rules the hub applies to this partner’s purchases and orders',
  security: [{ partnerSignature: [] }],
  responses: {
    200: json(PartnerRulesSchema, 'The rules in force'),
    401: problems[401],
    403: problems[403],
    429: problems[429],
  },
});

export function register(app: OpenAPIHono<PartnerEnv>): void {
  app.openapi(route, async (c) => {
    return c.json(await getPartnerRules(c.get('services').db, c.get('partner').id), 200);
  });
}
