import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { accrueForPurchase, type PurchaseResult } from '../../partners/index.ts';
import { type Logger, problemTypes } from '../../platform/index.ts';
import type { PartnerEnv } from '../context.ts';
import { asAppError, problemTypeUri } from '../problem.ts';
import { receiptHeaders } from '../receipts.ts';
import { json } from '../schemas.ts';
import {
  AmountMinor,
  counterProblems,
  IdempotencyHeader,
  MemberRefSchema,
  OrderId,
  receiptHeaderDoc,
  StoreCode,
} from './counter-schemas.ts';

const PurchaseSchema = z
  .object({
    orderId: OrderId,
    storeCode: StoreCode,
    amountMinor: AmountMinor,
    lines: z
      .array(z.object({ category: z.string().min(1).max(64), amountMinor: AmountMinor }).strict())
      .max(200)
      .optional(),
    purchasedAt: z.iso.datetime({ offset: true }),
    member: MemberRefSchema,
  })
  .strict()
  .openapi('Purchase');

const AccrualSchema = z
  .object({
    orderId: z.string(),
    memberId: z.uuid(),
    points: z.number().int(),
    entryId: z.uuid().nullable(),
    rule: z.string().openapi({ description: 'The rule that gave the points, in words' }),
    multipliers: z.array(z.object({ source: z.string(), name: z.string(), value: z.string() })),
    capped: z.boolean(),
  })
  .openapi('Accrual');

function accrualView(r: PurchaseResult): z.infer<typeof AccrualSchema> {
  return {
    orderId: r.orderId,
    memberId: r.memberId,
    points: r.points,
    entryId: r.entryId,
    rule: r.accrual.explanation,
    multipliers: r.accrual.multipliers,
    capped: r.accrual.capped,
  };
}

function purchaseInput(p: z.infer<typeof PurchaseSchema>) {
  return { ...p, purchasedAt: new Date(p.purchasedAt) };
}

const route = createRoute({
  method: 'post',
  path: '/accruals',
  tags: ['partner: earn'],
  summary: 'Award points for a purchase',
  description:
    'Points by your earn rule, the member tier and paid membership, rounded down. One accrual per order id, ever.',
  security: [{ partnerSignature: [] }],
  request: {
    headers: IdempotencyHeader,
    body: { content: { 'application/json': { schema: PurchaseSchema } } },
  },
  responses: {
    200: { ...json(AccrualSchema, 'Points awarded'), headers: receiptHeaderDoc },
    ...counterProblems,
  },
});

/** Purchases in one signed request: at most this many. */
export const batchSizeMax = 500;

const BatchResultSchema = z.union([
  z.object({ orderId: z.string(), status: z.literal('accrued'), accrual: AccrualSchema }),
  z.object({
    orderId: z.string(),
    status: z.literal('failed'),
    problem: z.object({ type: z.string(), title: z.string(), detail: z.string() }),
  }),
]);

const batchRoute = createRoute({
  method: 'post',
  path: '/accruals/batch',
  tags: ['partner: earn'],
  summary: 'Award points for many purchases in one request',
  description: `Up to ${batchSizeMax} purchases; each has its own result, in the order sent. Retrying the batch re-answers every purchase (each order id accrues once).`,
  security: [{ partnerSignature: [] }],
  request: {
    headers: IdempotencyHeader,
    body: {
      content: {
        'application/json': {
          schema: z
            .object({ purchases: z.array(PurchaseSchema).min(1).max(batchSizeMax) })
            .strict(),
        },
      },
    },
  },
  responses: {
    200: {
      ...json(z.object({ results: z.array(BatchResultSchema) }), 'One result per purchase'),
      headers: receiptHeaderDoc,
    },
    ...counterProblems,
  },
});

/** One purchase's failure as its result, told as onError would tell it. */
function failure(
  orderId: string,
  error: unknown,
  logger: Logger,
): z.infer<typeof BatchResultSchema> {
  const e = asAppError(error, logger, { orderId });
  return {
    orderId,
    status: 'failed',
    problem: { type: problemTypeUri(e.type), title: problemTypes[e.type].title, detail: e.message },
  };
}

export function register(app: OpenAPIHono<PartnerEnv>): void {
  app.openapi(route, async (c) => {
    const result = await accrueForPurchase(
      c.get('counter'),
      c.get('partner').id,
      purchaseInput(c.req.valid('json')),
    );
    const body = accrualView(result);
    return c.json(
      body,
      200,
      await receiptHeaders(c, body, {
        memberId: result.memberId,
        ...(result.entryId ? { entryId: result.entryId } : {}),
      }),
    );
  });
  app.openapi(batchRoute, async (c) => {
    const { purchases } = c.req.valid('json');
    const partnerId = c.get('partner').id;
    // All at once: the ledger's group-commit writer puts them in few transactions.
    const results = await Promise.all(
      purchases.map((p) =>
        accrueForPurchase(c.get('counter'), partnerId, purchaseInput(p)).then(
          (r) => ({ orderId: p.orderId, status: 'accrued' as const, accrual: accrualView(r) }),
          (error: unknown) => failure(p.orderId, error, c.get('logger')),
        ),
      ),
    );
    const body = { results };
    const entryIds = results.flatMap((r) =>
      r.status === 'accrued' && r.accrual.entryId ? [r.accrual.entryId] : [],
    );
    return c.json(body, 200, await receiptHeaders(c, body, { entryIds }));
  });
}
