import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { bankDetailsInForce } from '../../partners/index.ts';
import { type Payee, paymentFile } from '../../settlement/index.ts';
import type { StaffEnv } from '../context.ts';
import { PeriodIdParam, periodProblems } from './schemas.ts';

export const route = createRoute({
  method: 'get',
  path: '/periods/{periodId}/payment-file',
  tags: ['finance'],
  summary: 'The payment file of an approved period, for the bank (CSV)',
  description:
    'One line per partner with a net amount: pay (the hub pays it) or collect (it pays the hub), the amount in minor units, its bank details in force, the hub’s reference and, once paid, the bank’s. Layout: docs/settlement.md.',
  security: [{ staffToken: [] }],
  request: { params: PeriodIdParam },
  responses: {
    200: {
      description: 'The file',
      content: { 'text/csv': { schema: z.string() } },
    },
    ...periodProblems,
  },
});

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(route, async (c) => {
    const { db } = c.get('services');
    const { periodId } = c.req.valid('param');
    const text = await paymentFile(db, periodId, async (ids) => {
      const found = await bankDetailsInForce(db, ids);
      return new Map(
        [...found].map(([id, d]): [string, Payee] => [
          id,
          {
            code: d.code,
            accountName: d.account_name,
            accountNumber: d.account_number,
            currency: d.currency,
          },
        ]),
      );
    });
    return c.body(text, 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="payments-${periodId}.csv"`,
    });
  });
}
