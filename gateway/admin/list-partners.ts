import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { listPartners } from '../../partners/index.ts';
import type { StaffEnv } from '../context.ts';
import { json, PartnerSchema, partnerView, problems } from '../schemas.ts';

export const route = createRoute({
  method: 'get',
  path: '/partners',
  tags: ['admin'],
  summary: 'List partners, newest first',
  security: [{ staffToken: [] }],
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(200).default(50),
      before: z.uuid().optional().openapi({ description: 'id of the last partner seen' }),
    }),
  },
  responses: {
    200: json(z.object({ partners: z.array(PartnerSchema) }), 'One page of partners'),
    400: problems[400],
    401: problems[401],
    403: problems[403],
  },
});

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(route, async (c) => {
    const partners = await listPartners(c.get('services').db, c.req.valid('query'));
    return c.json({ partners: partners.map(partnerView) }, 200);
  });
}
