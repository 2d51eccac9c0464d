import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { announcePartnerChange, getPartner, updatePartner } from '../../partners/index.ts';
import { audited, auditState } from '../audit.ts';
import type { StaffEnv } from '../context.ts';
import {
  json,
  PartnerIdParam,
  PartnerSchema,
  partnerAdminProblems,
  partnerView,
} from '../schemas.ts';

const ChangeSchema = z
  .object({
    status: z.enum(['active', 'suspended']).optional(),
    rateLimitPerMinute: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .nullable()
      .optional()
      .openapi({ description: 'null returns the partner to the default limit' }),
  })
  .strict()
  .refine((c) => c.status !== undefined || c.rateLimitPerMinute !== undefined, {
    message: 'name at least one of status, rateLimitPerMinute',
  });

export const route = createRoute({
  method: 'patch',
  path: '/partners/{partnerId}',
  tags: ['admin'],
  summary: 'Suspend or reactivate a partner, or change its rate limit',
  description: 'A suspended partner’s signed requests are refused with 403.',
  security: [{ staffToken: [] }],
  request: {
    params: PartnerIdParam,
    body: { content: { 'application/json': { schema: ChangeSchema } } },
  },
  responses: {
    200: json(PartnerSchema, 'The partner after the change'),
    ...partnerAdminProblems,
  },
});

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(route, async (c) => {
    const { partnerId } = c.req.valid('param');
    const services = c.get('services');
    const change = c.req.valid('json');
    const partner = await audited(c, async (tx) => {
      const before = auditState(partnerView(await getPartner(tx, partnerId)));
      const updated = await updatePartner(tx, partnerId, change);
      const after = auditState(partnerView(updated));
      return {
        result: updated,
        audit: { action: 'partner.update', subject: partnerId, before, after },
      };
    });
    await announcePartnerChange(services, partnerId);
    c.get('logger').info({ partnerId, status: partner.status }, 'partner updated');
    return c.json(partnerView(partner), 200);
  });
}
