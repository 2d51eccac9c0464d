import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { periodRevenue } from '../../settlement/index.ts';
import type { StaffEnv } from '../context.ts';
import { json } from '../schemas.ts';
import { PeriodIdParam, periodProblems } from './schemas.ts';

const minor = z.number().int();

export const route = createRoute({
  method: 'get',
  path: '/periods/{periodId}/revenue',
  tags: ['finance'],
  summary: 'The hub’s revenue of a period: paid membership fees, clearing fees, breakage share',
  description:
    'From the hub’s own accounts, postings booked in the period in its currency. Clearing fees plus the breakage share equal the period’s hub fees.',
  security: [{ staffToken: [] }],
  request: { params: PeriodIdParam },
  responses: {
    200: json(
      z
        .object({
          periodId: z.uuid(),
          localDate: z.string(),
          currency: z.string(),
          membershipFees: z.object({ count: z.number().int(), amountMinor: minor }),
          clearingFeesMinor: minor,
          breakageShareMinor: minor,
          totalMinor: minor,
          periodHubFeesMinor: minor,
        })
        .openapi('Revenue'),
      'The revenue',
    ),
    ...periodProblems,
  },
});

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(route, async (c) => {
    return c.json(await periodRevenue(c.get('services').db, c.req.valid('param').periodId), 200);
  });
}
