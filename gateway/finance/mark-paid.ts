import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { markPaid } from '../../settlement/index.ts';
import type { StaffEnv } from '../context.ts';
import { json } from '../schemas.ts';
import { PeriodIdParam, PeriodSchema, periodProblems } from './schemas.ts';

const PaymentsSchema = z.object({
  payments: z
    .array(z.object({ partnerId: z.uuid(), reference: z.string().min(1).max(200) }))
    .max(10_000)
    .openapi({ description: 'one bank reference per partner with a net amount' }),
});

export const route = createRoute({
  method: 'post',
  path: '/periods/{periodId}/paid',
  tags: ['finance'],
  summary: 'Record the payments of an approved period and mark it paid',
  security: [{ staffToken: [] }],
  request: {
    params: PeriodIdParam,
    body: { content: { 'application/json': { schema: PaymentsSchema } }, required: true },
  },
  responses: {
    200: json(PeriodSchema, 'The paid period'),
    ...periodProblems,
  },
});

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(route, async (c) => {
    const services = c.get('services');
    const period = await markPaid(services.db, {
      periodId: c.req.valid('param').periodId,
      staffId: c.get('staff').id,
      now: services.clock.now(),
      payments: c.req.valid('json').payments,
    });
    return c.json(period, 200);
  });
}
