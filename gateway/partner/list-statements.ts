import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { partnerPeriods } from '../../settlement/index.ts';
import type { PartnerEnv } from '../context.ts';
import { json, problems } from '../schemas.ts';

const PartnerPeriodSchema = z
  .object({
    periodId: z.uuid(),
    localDate: z.string(),
    startsAt: z.string(),
    endsAt: z.string(),
    status: z.enum(['closed', 'computed', 'approved', 'paid']),
    netMinor: z.number().int().openapi({ description: 'received (+) or paid (-), once' }),
    digest: z.string().openapi({ description: 'sha256 (hex) of the CSV statement' }),
  })
  .openapi('PartnerSettlementPeriod');

export const route = createRoute({
  method: 'get',
  path: '/statements',
  tags: ['partner'],
  summary: 'The settlement periods computed so far, newest first, with this partner’s net',
  security: [{ partnerSignature: [] }],
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(31) }) },
  responses: {
    200: json(z.object({ periods: z.array(PartnerPeriodSchema) }), 'The periods'),
    400: problems[400],
    401: problems[401],
    403: problems[403],
    429: problems[429],
  },
});

export function register(app: OpenAPIHono<PartnerEnv>): void {
  app.openapi(route, async (c) => {
    const { db } = c.get('services');
    const periods = await partnerPeriods(db, c.get('partner').id, c.req.valid('query').limit);
    return c.json({ periods }, 200);
  });
}
