import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { addStore, getPartner, NewStoreSchema } from '../../partners/index.ts';
import { audited, auditState } from '../audit.ts';
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
    const { partnerId } = c.req.valid('param');
    const input = c.req.valid('json');
    const store = await audited(c, async (tx) => {
      const partner = await getPartner(tx, partnerId);
      const added = await addStore(tx, partner.id, input);
      const after = auditState(storeView(added));
      return { result: added, audit: { action: 'store.add', subject: partner.id, after } };
    });
    return c.json(storeView(store), 201);
  });
}
