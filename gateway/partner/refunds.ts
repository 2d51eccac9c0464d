import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { PartnerEnv } from '../context.ts';
import { tillKey } from '../idempotency.ts';
import { receiptHeaders } from '../receipts.ts';
import { json } from '../schemas.ts';
import {
  AmountMinor,
  counterProblems,
  IdempotencyHeader,
  OrderId,
  receiptHeaderDoc,
} from './counter-schemas.ts';

const RefundRequestSchema = z
  .discriminatedUnion('kind', [
    z
      .object({
        kind: z.literal('purchase'),
        refundId: OrderId,
        orderId: OrderId,
        refundAmountMinor: AmountMinor,
      })
      .strict(),
    z.object({ kind: z.literal('redemption'), refundId: OrderId, orderId: OrderId }).strict(),
  ])
  .openapi('RefundRequest');

const RefundSchema = z
  .object({
    refundId: z.string(),
    orderId: z.string(),
    kind: z.enum(['purchase', 'redemption']),
    entryId: z.uuid().nullable(),
    points: z
      .number()
      .int()
      .openapi({ description: 'Taken back (purchase) or returned (redemption)' }),
    unrecoveredPoints: z
      .number()
      .int()
      .openapi({ description: 'Points the purchase earned that were already spent' }),
  })
  .openapi('Refund');

const route = createRoute({
  method: 'post',
  path: '/refunds',
  tags: ['partner: refunds'],
  summary: 'Refund a purchase (points taken back in proportion) or a redemption (points returned)',
  description: 'Refers to the original by your order id. Each refund id applies once.',
  security: [{ partnerSignature: [] }],
  request: {
    headers: IdempotencyHeader,
    body: { content: { 'application/json': { schema: RefundRequestSchema } } },
  },
  responses: {
    200: { ...json(RefundSchema, 'The refund'), headers: receiptHeaderDoc },
    ...counterProblems,
  },
});

export function register(app: OpenAPIHono<PartnerEnv>): void {
  app.openapi(route, async (c) => {
    const input = c.req.valid('json');
    const partnerId = c.get('partner').id;
    const counter = c.get('counter');
    const { answer } =
      input.kind === 'purchase'
        ? await counter.refundPurchase(partnerId, input, tillKey(c))
        : await counter.refundRedemption(partnerId, input, tillKey(c));
    return c.json(answer, 200, await receiptHeaders(c, answer));
  });
}
