import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { settlePeriod } from '../../settlement/index.ts';
import type { StaffEnv } from '../context.ts';
import { json } from '../schemas.ts';
import { PeriodSchema, periodProblems } from './schemas.ts';

const SettleSchema = z
  .object({
    localDate: z.iso.date().openapi({
      description: 'the alliance-local day whose period to settle',
      example: '2026-07-01',
    }),
  })
  .strict();

export const route = createRoute({
  method: 'post',
  path: '/periods/settle',
  tags: ['finance'],
  summary: 'Close and compute a day’s period now, as the settlement job would',
  description:
    'Once the day’s cut-off and two minutes of grace have passed: closes every period due, then computes this one with the job’s own code, so lines, CSV bytes and digests are the job’s. A period already computed is returned as it is (computedNow false). Before the grace ends: 409 with Retry-After.',
  security: [{ staffToken: [] }],
  request: { body: { content: { 'application/json': { schema: SettleSchema } } } },
  responses: {
    200: json(z.object({ period: PeriodSchema, computedNow: z.boolean() }), 'The period, computed'),
    ...periodProblems,
  },
});

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(route, async (c) => {
    const services = c.get('services');
    const settled = await settlePeriod(services.db, {
      localDate: c.req.valid('json').localDate,
      staffId: c.get('staff').id,
      now: services.clock.now(),
    });
    return c.json(settled, 200);
  });
}
