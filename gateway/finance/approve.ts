import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { approvePeriod } from '../../settlement/index.ts';
import type { StaffEnv } from '../context.ts';
import { json } from '../schemas.ts';
import { PeriodIdParam, PeriodSchema, periodProblems } from './schemas.ts';

export const route = createRoute({
  method: 'post',
  path: '/periods/{periodId}/approve',
  tags: ['finance'],
  summary: 'Approve a computed period (recorded with who and when)',
  security: [{ staffToken: [] }],
  request: { params: PeriodIdParam },
  responses: {
    200: json(PeriodSchema, 'The approved period'),
    ...periodProblems,
  },
});

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(route, async (c) => {
    const services = c.get('services');
    const period = await approvePeriod(services.db, {
      periodId: c.req.valid('param').periodId,
      staffId: c.get('staff').id,
      now: services.clock.now(),
    });
    return c.json(period, 200);
  });
}
