import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { membershipFeeRecorder, receivePaymentNotice } from '../members/index.ts';
import { AppError } from '../platform/index.ts';
import { bodyText } from './body.ts';
import type { HubEnv } from './context.ts';
import { PaymentSchema, paymentJson } from './member/schemas.ts';
import { hubRouter } from './router.ts';
import { json, problem, problems } from './schemas.ts';

export const paymentNoticeRoute = createRoute({
  method: 'post',
  path: '/v1/payments/{provider}/notices',
  tags: ['payments'],
  summary: 'A payment provider tells the hub how a member’s payment ended',
  description:
    'Verified by the provider’s own signature over the raw body (the demo provider and `hmac` adapters: header `Payment-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, at most 5 minutes old). A confirmed payment buys its term and posts its fee in one transaction; a notice repeated or arriving after the charge answered changes nothing more.',
  request: {
    params: z.object({
      provider: z
        .string()
        .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/)
        .openapi({ param: { name: 'provider', in: 'path' } }),
    }),
    body: {
      content: {
        'application/json': {
          schema: z.object({
            paymentId: z.uuid(),
            providerRef: z.string().min(1).max(200),
            status: z.enum(['confirmed', 'failed']),
            amountMinor: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
            currency: z.string().length(3),
            reason: z.string().max(500).optional(),
          }),
        },
      },
    },
  },
  responses: {
    200: json(PaymentSchema, 'The payment as it stands now'),
    400: problems[400],
    401: problem('Not signed by the provider'),
    404: problem('No such provider or payment'),
    422: problem('The notice is for another amount or currency than the payment'),
  },
});

/** Where payment providers' notifications arrive (no session: the provider's signature). */
export function paymentRoutes(): OpenAPIHono<HubEnv> {
  const app = hubRouter<HubEnv>();
  app.openapi(paymentNoticeRoute, async (c) => {
    const provider = c.get('paymentProvider');
    if (!provider || provider.name !== c.req.valid('param').provider) {
      throw new AppError('not_found', 'No such payment provider.');
    }
    const payment = await receivePaymentNotice(
      {
        ...c.get('services'),
        paymentProvider: provider,
        recordMembershipFee: membershipFeeRecorder(c.get('ledger')),
      },
      await bodyText(c),
      { 'payment-signature': c.req.header('payment-signature') },
    );
    return c.json(paymentJson(payment), 200);
  });
  return app;
}
