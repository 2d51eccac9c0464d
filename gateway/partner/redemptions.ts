import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { PartnerEnv } from '../context.ts';
import { tillKey } from '../idempotency.ts';
import { receiptHeaders } from '../receipts.ts';
import { json } from '../schemas.ts';
import {
  AmountMinor,
  counterProblems,
  HoldIdParam,
  IdempotencyHeader,
  OrderId,
  Points,
  receiptHeaderDoc,
  StoreCode,
} from './counter-schemas.ts';

const RedemptionRequestSchema = z
  .object({
    payCode: z
      .string()
      .regex(/^\d{18}$/, 'the 18 digits the member shows')
      .openapi({ example: '891234567890123456' }),
    storeCode: StoreCode,
    orderId: OrderId,
    orderAmountMinor: AmountMinor,
    points: Points,
  })
  .strict()
  .openapi('RedemptionRequest');

const AuthorisationSchema = z
  .object({
    holdId: z.uuid(),
    orderId: z.string(),
    memberId: z.uuid(),
    points: z.number().int(),
    valueMinor: z.number().int(),
    expiresAt: z.string(),
  })
  .openapi('Authorisation');

const SpentSchema = z
  .object({
    orderId: z.string(),
    memberId: z.uuid(),
    entryId: z.uuid(),
    points: z.number().int(),
    valueMinor: z.number().int(),
  })
  .openapi('Redemption');

const security = [{ partnerSignature: [] }];
const tags = ['partner: burn'];
const withReceipt = <T extends z.ZodType>(schema: T, description: string) => ({
  ...json(schema, description),
  headers: receiptHeaderDoc,
});

const authoriseRoute = createRoute({
  method: 'post',
  path: '/redemptions/authorise',
  tags,
  summary: 'Hold points for an order (the member shows a pay code)',
  description:
    'Points may pay at most the burn rule share of the order. The hold voids itself if neither captured nor voided in time.',
  security,
  request: {
    headers: IdempotencyHeader,
    body: { content: { 'application/json': { schema: RedemptionRequestSchema } } },
  },
  responses: {
    200: withReceipt(AuthorisationSchema, 'Points held, and what they are worth'),
    ...counterProblems,
  },
});

const captureRoute = createRoute({
  method: 'post',
  path: '/redemptions/{holdId}/capture',
  tags,
  summary: 'Take all or part of the held points',
  security,
  request: {
    params: HoldIdParam,
    headers: IdempotencyHeader,
    body: {
      content: { 'application/json': { schema: z.object({ points: Points.optional() }).strict() } },
    },
  },
  responses: {
    200: withReceipt(
      SpentSchema.extend({ holdId: z.uuid(), released: z.number().int() }),
      'Points taken; the rest released',
    ),
    ...counterProblems,
  },
});

const voidRoute = createRoute({
  method: 'post',
  path: '/redemptions/{holdId}/void',
  tags,
  summary: 'Release every held point',
  security,
  request: { params: HoldIdParam, headers: IdempotencyHeader },
  responses: {
    200: withReceipt(
      z.object({ holdId: z.uuid(), orderId: z.string(), released: z.number().int() }),
      'Released',
    ),
    ...counterProblems,
  },
});

const redeemRoute = createRoute({
  method: 'post',
  path: '/redemptions',
  tags,
  summary: 'Pay with points in one step',
  security,
  request: {
    headers: IdempotencyHeader,
    body: { content: { 'application/json': { schema: RedemptionRequestSchema } } },
  },
  responses: { 200: withReceipt(SpentSchema, 'Points taken'), ...counterProblems },
});

export function register(app: OpenAPIHono<PartnerEnv>): void {
  app.openapi(authoriseRoute, async (c) => {
    const { answer } = await c
      .get('counter')
      .authorise(c.get('partner').id, c.req.valid('json'), tillKey(c));
    return c.json(answer, 200, await receiptHeaders(c, answer));
  });
  app.openapi(captureRoute, async (c) => {
    const { holdId } = c.req.valid('param');
    const { answer } = await c
      .get('counter')
      .capture(c.get('partner').id, holdId, c.req.valid('json').points, tillKey(c));
    return c.json(answer, 200, await receiptHeaders(c, answer));
  });
  app.openapi(voidRoute, async (c) => {
    const { holdId } = c.req.valid('param');
    const { answer } = await c.get('counter').void(c.get('partner').id, holdId, tillKey(c));
    return c.json(answer, 200, await receiptHeaders(c, answer));
  });
  app.openapi(redeemRoute, async (c) => {
    const { answer } = await c
      .get('counter')
      .redeem(c.get('partner').id, c.req.valid('json'), tillKey(c));
    return c.json(answer, 200, await receiptHeaders(c, answer));
  });
}
