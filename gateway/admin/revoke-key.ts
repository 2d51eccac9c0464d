import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { announcePartnerChange, listPartnerKeys, revokePartnerKey } from '../../partners/index.ts';
import { audited, auditState } from '../audit.ts';
import type { StaffEnv } from '../context.ts';
import {
  json,
  PartnerIdParam,
  PartnerKeySchema,
  partnerAdminProblems,
  partnerKeyView,
} from '../schemas.ts';

export const route = createRoute({
  method: 'post',
  path: '/partners/{partnerId}/keys/{kid}/revoke',
  tags: ['admin'],
  summary: 'Revoke a partner’s signing key',
  description:
    'Signatures made with the key are refused from then on: at once by the process that revoked it, by every other gateway within milliseconds (announced over Redis), and within 15 seconds at worst (the lifetime of their key cache). Revoking a revoked key changes nothing.',
  security: [{ staffToken: [] }],
  request: {
    params: PartnerIdParam.extend({
      kid: z
        .string()
        .min(1)
        .max(64)
        .openapi({ param: { name: 'kid', in: 'path' } }),
    }),
  },
  responses: {
    200: json(PartnerKeySchema, 'The key, revoked'),
    ...partnerAdminProblems,
  },
});

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(route, async (c) => {
    const { partnerId, kid } = c.req.valid('param');
    const services = c.get('services');
    const key = await audited(c, async (tx) => {
      const found = (await listPartnerKeys(tx, partnerId)).find((k) => k.kid === kid);
      const revoked = await revokePartnerKey(tx, partnerId, kid, services.clock.now());
      const audit = {
        action: 'key.revoke',
        subject: partnerId,
        before: found ? auditState(partnerKeyView(found)) : null,
        after: auditState(partnerKeyView(revoked)),
      };
      return { result: revoked, audit };
    });
    await announcePartnerChange(services, partnerId);
    c.get('logger').info({ partnerId, kid }, 'partner key revoked');
    return c.json(partnerKeyView(key), 200);
  });
}
