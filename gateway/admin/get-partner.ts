import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { getPartner } from '../../partners/index.ts';
import type { StaffEnv } from '../context.ts';
import {
  json,
  PartnerIdParam,
  PartnerSchema,
  partnerAdminProblems,
  partnerView,
} from '../schemas.ts';

export const route = createRoute({
  method: 'get',
  path: '/partners/{partnerId}',
  tags: ['admin'],
  summary: 'One partner',
  security: [{ staffToken: [] }],
  request: { params: PartnerIdParam },
  responses: {
    200: json(PartnerSchema, 'The partner'),
    ...partnerAdminProblems,
  },
});

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(route, async (c) => {
    const partner = await getPartner(c.get('services').db, c.req.valid('param').partnerId);
    return c.json(partnerView(partner), 200);
  });
}
