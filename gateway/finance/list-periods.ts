import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { listPeriods } from '../../settlement/index.ts';
import type { StaffEnv } from '../context.ts';
import { json, problems } from '../schemas.ts';
import { PeriodSchema } from './schemas.ts';

export const route = createRoute({
  method: 'get',
  path: '/periods',
  tags: ['finance'],
  summary: 'Settlement periods, newest first',
  security: [{ staffToken: [] }],
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(31) }) },
  responses: {
    200: json(z.object({ periods: z.array(PeriodSchema) }), 'The periods closed so far'),
    400: problems[400],
    401: problems[401],
    403: problems[403],
  },
});

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(route, async (c) => {
    const periods = await listPeriods(c.get('services').db, c.req.valid('query').limit);
    return c.json({ periods }, 200);
  });
}
