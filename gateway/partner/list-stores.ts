import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { listStores } from '../../partners/index.ts';
import type { PartnerEnv } from '../context.ts';
import { json, problems, StoreSchema, storeView } from '../schemas.ts';

export const route = createRoute({
  method: 'get',
  path: '/stores',
  tags: ['partner'],
  summary: 'The partner’s own stores',
  security: [{ partnerSignature: [] }],
  responses: {
    200: json(z.object({ stores: z.array(StoreSchema) }), 'The stores, by code'),
    401: problems[401],
    403: problems[403],
    429: problems[429],
  },
});

export function register(app: OpenAPIHono<PartnerEnv>): void {
  app.openapi(route, async (c) => {
    const stores = await listStores(c.get('services').db, c.get('partner').id);
    return c.json({ stores: stores.map(storeView) }, 200);
  });
}
