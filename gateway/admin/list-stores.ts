import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { getPartner, listStores } from '../../partners/index.ts';
import type { StaffEnv } from '../context.ts';
import { json, PartnerIdParam, partnerAdminProblems, StoreSchema, storeView } from '../schemas.ts';

export const route = createRoute({
  method: 'get',
  path: '/partners/{partnerId}/stores',
  tags: ['admin'],
  summary: 'A partner’s stores',
  security: [{ staffToken: [] }],
  request: { params: PartnerIdParam },
  responses: {
    200: json(z.object({ stores: z.array(StoreSchema) }), 'The stores, by code'),
    ...partnerAdminProblems,
  },
});

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(route, async (c) => {
    const db = c.get('services').db;
    const partner = await getPartner(db, c.req.valid('param').partnerId);
    return c.json({ stores: (await listStores(db, partner.id)).map(storeView) }, 200);
  });
}
