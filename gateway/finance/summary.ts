import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { periodSummary } from '../../settlement/index.ts';
import type { StaffEnv } from '../context.ts';
import { json } from '../schemas.ts';
import { PeriodIdParam, PeriodSchema, periodProblems } from './schemas.ts';

const SummarySchema = z
  .object({
    period: PeriodSchema,
    partners: z.array(
      z.object({
        partnerId: z.uuid(),
        lineCount: z.number().int(),
        owedToOthersMinor: z.number().int(),
        owedByOthersMinor: z.number().int(),
        feesMinor: z.number().int(),
        breakagePoints: z.number().int(),
        netMinor: z.number().int(),
        paymentReference: z.string().nullable(),
      }),
    ),
    matrix: z.array(
      z.object({ payerId: z.uuid(), payeeId: z.uuid(), amountMinor: z.number().int() }),
    ),
    hubFeesMinor: z.number().int(),
    breakagePoints: z.number().int(),
  })
  .openapi('SettlementSummary');

export const route = createRoute({
  method: 'get',
  path: '/periods/{periodId}',
  tags: ['finance'],
  summary: 'A period: totals by partner, the gross matrix between partners, hub fees, breakage',
  security: [{ staffToken: [] }],
  request: { params: PeriodIdParam },
  responses: {
    200: json(SummarySchema, 'The summary'),
    ...periodProblems,
  },
});

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(route, async (c) => {
    return c.json(await periodSummary(c.get('services').db, c.req.valid('param').periodId), 200);
  });
}
