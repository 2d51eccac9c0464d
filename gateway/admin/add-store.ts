import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { addStore, getPartner, NewStoreSchema } from '../../partners/index.ts';
import type { StaffEnv } from '../context.ts';
import {
  json,
  PartnerIdParam,
  partnerAdminProblems,
  problems,
  StoreSchema,
  storeView,
} from '../schemas.ts';

export const route = createRoute({
  method: 'post',
  path: '/partners/{partnerId}/stores',
  tags: ['admin'],
  summary: 'Add a store to a partner',
  security: [{ staffToken: [] }],
  request: {
    params: PartnerIdParam,
    body: { content: { 'application/json': { schema: NewStoreSchema } } },
  },
  responses: {
    201: json(StoreSchema, 'The new store'),
    ...partnerAdminProblems,
    409: problems[409],
  },
});

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(route, async (c) => {
    const db = c.get('services').db;
    const partner = await getPartner(db, c.req.valid('param').partnerId);
    const store = await addStore(db, partner.id, c.req.valid('json'));
    return c.json(storeView(store), 201);
  });
}
