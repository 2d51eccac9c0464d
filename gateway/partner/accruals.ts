import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { answered, keepAnswer, type PurchaseInput } from '../../counter/index.ts';
import { KeptAnswer, keptAnswer } from '../../partners/index.ts';
import { type Logger, problemTypes } from '../../platform/index.ts';
import type { PartnerEnv } from '../context.ts';
import { tillKey } from '../idempotency.ts';
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
    multipliers: z.array(
      z.object({
        source: z.enum(['tier', 'paid-member', 'benefit', 'campaign']),
        name: z.string(),
        value: z.string(),
      }),
    ),
    capped: z.boolean(),
    benefits: z
      .array(
        z.object({
          benefitId: z.uuid(),
          code: z.string(),
          title: z.string(),
          kind: z.literal('earn_multiplier'),
          multiplier: z.string(),
        }),
      )
      .optional()
      .openapi({ description: "The member's benefits that changed what this purchase earned" }),
    tier: z.string().openapi({ description: "The member's tier after this purchase" }),
    tierChange: z
      .object({ from: z.string(), to: z.string() })
      .nullable()
      .openapi({ description: 'Set when this purchase lifted the member to a higher tier' }),
  })
  .openapi('Accrual');

function purchaseInput(p: z.infer<typeof PurchaseSchema>): PurchaseInput {
  return { ...p, purchasedAt: new Date(p.purchasedAt) };
}

const route = createRoute({
  method: 'post',
  path: '/accruals',
  tags: ['partner: earn'],
  summary: 'Award points for a purchase',
  description:
    'Points by your earn rule, the member tier, paid membership and the best earn-multiplier benefit the member holds here (named in `benefits`), rounded down. The member may be named by your customer id, the alliance member id, or the member code scanned from their app (`memberCode`: identifies them without using the code up). One accrual per order id, ever: a retry of the same purchase, under any Idempotency-Key, gets the first answer; the same order id with other details is refused (order_reused). purchasedAt may be at most 5 minutes ahead of the hub and at most 30 days ago.',
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
    problem: z.object({
      type: z.string(),
      title: z.string(),
      detail: z.string(),
      errors: z
        .array(z.object({ field: z.string(), reason: z.string() }))
        .optional()
        .openapi({ description: 'For invalid input: each field of the purchase and why' }),
    }),
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
  if (error instanceof KeptAnswer) {
    // Only single purchases keep answers under keys; a batch's purchases never meet one.
    return failure(orderId, new Error('a batch purchase met a kept answer'), logger);
  }
  const e = asAppError(error, logger, { orderId });
  return {
    orderId,
    status: 'failed',
    problem: {
      type: problemTypeUri(e.type),
      title: problemTypes[e.type].title,
      detail: e.message,
      ...(e.fields.length > 0 ? { errors: e.fields } : {}),
    },
  };
}

export function register(app: OpenAPIHono<PartnerEnv>): void {
  app.openapi(route, async (c) => {
    const { answer } = await c
      .get('counter')
      .earn(c.get('partner').id, purchaseInput(c.req.valid('json')), tillKey(c));
    return c.json(answer, 200, await receiptHeaders(c, answer));
  });
  app.openapi(batchRoute, async (c) => {
    const { purchases } = c.req.valid('json');
    const partnerId = c.get('partner').id;
    const key = tillKey(c);
    const { db } = c.get('services');
    // A batch retried under its key gets its first answer; its purchases, each once by order id.
    const kept = key ? await keptAnswer(db, key) : undefined;
    if (kept) throw new KeptAnswer(kept);
    const settled = await c.get('counter').earnMany(partnerId, purchases.map(purchaseInput));
    const results = settled.map((s, i) => {
      const orderId = purchases[i]?.orderId ?? '';
      return 'value' in s
        ? { orderId, status: 'accrued' as const, accrual: s.value.answer }
        : failure(orderId, s.error, c.get('logger'));
    });
    const body = { results };
    // Every purchase committed with its own answer; the batch's answer is kept after them.
    if (key) await keepAnswer(c.get('counter').deps, key, answered(body));
    return c.json(body, 200, await receiptHeaders(c, body));
  });
}
