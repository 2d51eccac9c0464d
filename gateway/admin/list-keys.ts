import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { getPartner, listPartnerKeys } from '../../partners/index.ts';
import type { StaffEnv } from '../context.ts';
import {
  json,
  PartnerIdParam,
  PartnerKeySchema,
  partnerAdminProblems,
  partnerKeyView,
} from '../schemas.ts';

export const route = createRoute({
  method: 'get',
  path: '/partners/{partnerId}/keys',
  tags: ['admin'],
  summary: 'A partner’s signing keys, active and revoked',
  security: [{ staffToken: [] }],
  request: { params: PartnerIdParam },
  responses: {
    200: json(z.object({ keys: z.array(PartnerKeySchema) }), 'The keys, oldest first'),
    ...partnerAdminProblems,
  },
});

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(route, async (c) => {
    const db = c.get('services').db;
    const partner = await getPartner(db, c.req.valid('param').partnerId);
    return c.json({ keys: (await listPartnerKeys(db, partner.id)).map(partnerKeyView) }, 200);
  });
}
