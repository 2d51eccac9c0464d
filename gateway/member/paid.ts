import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  buyPaidMembership,
  cancelPaidMembership,
  listPaidPlans,
  memberMessages,
  membershipFeeRecorder,
  type PaidStatusView,
  type PaymentDeps,
  type PaymentView,
  paidBenefitsCatalog,
  paidStatus,
  paymentViews,
  planFeeFor,
  setAutoRenew,
  startTrial,
  tierProgress,
} from '../../members/index.ts';
import { paidMultipliers } from '../../partners/index.ts';
import { AppError } from '../../platform/index.ts';
import { json, problem, problems } from '../schemas.ts';
import type { MemberEnv } from './context.ts';
import {
  MemberMessageSchema,
  OfferSchema,
  PaidPurchaseSchema,
  PaidStatusSchema,
  PaymentSchema,
  paidJson,
  paymentJson,
} from './schemas.ts';

const security = [{ memberSession: [] }];
const statusResponse = json(PaidStatusSchema, 'The paid membership');
const PlanCodeBody = z.object({ planCode: z.string().min(1).max(40) }).strict();
const IdempotencyKeyHeader = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(200)
    .openapi({ description: 'One key per purchase, reused on every retry of it' }),
});

export const getPaidRoute = createRoute({
  method: 'get',
  path: '/v1/me/paid-membership',
  tags: ['member'],
  summary: 'The paid super-membership: status, term, automatic renewal, saved so far',
  security,
  responses: { 200: statusResponse, 401: problems[401] },
});

export const offerRoute = createRoute({
  method: 'get',
  path: '/v1/me/paid-membership/offer',
  tags: ['member'],
  summary:
    'What the member can buy: each plan at the fee for their tier, the trial, what it includes',
  security,
  responses: { 200: json(OfferSchema, 'The offer for this member now'), 401: problems[401] },
});

const purchaseResponses = {
  200: json(PaidPurchaseSchema, 'Paid (or told again on a retry): the term it bought'),
  202: json(PaidPurchaseSchema, 'Waiting for the payment provider: pay at payment.payUrl'),
  400: problems[400],
  401: problems[401],
  404: problem('No such plan'),
  422: problem('The plan is retired, nothing to renew, or the key paid for another plan'),
  503: problem('No payment provider, or it did not answer (retry with the same key)'),
};

function purchaseRoute(path: string, summary: string, description: string) {
  return createRoute({
    method: 'post',
    path,
    tags: ['member'],
    summary,
    description,
    security,
    request: {
      headers: IdempotencyKeyHeader,
      body: { content: { 'application/json': { schema: PlanCodeBody } } },
    },
    responses: purchaseResponses,
  });
}

export const subscribeRoute = purchaseRoute(
  '/v1/me/paid-membership/subscribe',
  'Buy the paid membership: one term at the fee for your tier',
  'Starts at once (a running trial turns into the paid term); while a paid term runs, the new one starts at its end. The same Idempotency-Key is one payment: a retry is told how it stands and is never charged again.',
);

export const renewRoute = purchaseRoute(
  '/v1/me/paid-membership/renew',
  'Renew: one more term from the end of the current one',
  'For a member who has (or had) a paid membership; an expired one starts again now.',
);

export const startTrialRoute = createRoute({
  method: 'post',
  path: '/v1/me/paid-membership/trial',
  tags: ['member'],
  summary: 'Start the free trial (once per member)',
  description:
    'With autoRenew: true the trial turns into a paid term at its end, charged then at the fee for your tier; you are reminded first and may turn it off before.',
  security,
  request: {
    body: {
      content: {
        'application/json': {
          schema: PlanCodeBody.extend({ autoRenew: z.boolean().optional() }).strict(),
        },
      },
    },
  },
  responses: {
    200: statusResponse,
    400: problems[400],
    401: problems[401],
    404: problem('No such plan'),
    422: problem('The trial was used, or a paid term runs'),
  },
});

export const autoRenewRoute = createRoute({
  method: 'put',
  path: '/v1/me/paid-membership/auto-renew',
  tags: ['member'],
  summary: 'Turn automatic renewal on or off',
  security,
  request: {
    body: {
      content: {
        'application/json': { schema: z.object({ enabled: z.boolean() }).strict() },
      },
    },
  },
  responses: {
    200: statusResponse,
    400: problems[400],
    401: problems[401],
    422: problem('No running membership'),
  },
});

export const cancelPaidRoute = createRoute({
  method: 'post',
  path: '/v1/me/paid-membership/cancel',
  tags: ['member'],
  summary: 'Cancel: no renewal; the benefits last to the end of the term',
  security,
  responses: {
    200: statusResponse,
    401: problems[401],
    422: problem('Nothing to cancel'),
  },
});

export const paymentsRoute = createRoute({
  method: 'get',
  path: '/v1/me/paid-membership/payments',
  tags: ['member'],
  summary: 'Your payments for the paid membership, newest first',
  security,
  responses: {
    200: json(z.object({ payments: z.array(PaymentSchema) }), 'Payments'),
    401: problems[401],
  },
});

export const messagesRoute = createRoute({
  method: 'get',
  path: '/v1/me/messages',
  tags: ['member'],
  summary: 'What the hub told you: renewal reminders, renewals, failed charges',
  security,
  responses: {
    200: json(z.object({ messages: z.array(MemberMessageSchema) }), 'Newest first'),
    401: problems[401],
  },
});

/** The payment dependencies of this process, or 503 when it has no payment provider. */
export function paymentDeps(c: Context<MemberEnv>): PaymentDeps {
  const provider = c.get('paymentProvider');
  if (!provider) {
    throw new AppError('unavailable', 'No payment provider is configured: nothing can be sold.', {
      extra: { reason: 'no_payment_provider' },
    });
  }
  return {
    ...c.get('services'),
    paymentProvider: provider,
    recordMembershipFee: membershipFeeRecorder(c.get('ledger')),
  };
}

async function statusJson(c: Context<MemberEnv>, status: PaidStatusView) {
  const savings =
    status.since && status.status !== 'none'
      ? await c.get('counter').paidSavings(c.get('memberId'), status.since)
      : null;
  return { ...paidJson(status), savedSoFar: savings };
}

function purchased(c: Context<MemberEnv>, result: Awaited<ReturnType<typeof buyPaidMembership>>) {
  const body = {
    replayed: result.replayed,
    payment: paymentJson(result.payment),
    membership: paidJson(result.status),
  };
  return result.payment.status === 'pending' ? c.json(body, 202) : c.json(body, 200);
}

export function registerPaid(app: OpenAPIHono<MemberEnv>): void {
  app.openapi(getPaidRoute, async (c) =>
    c.json(await statusJson(c, await paidStatus(c.get('services'), c.get('memberId'))), 200),
  );
  app.openapi(offerRoute, async (c) => c.json(await offer(c), 200));
  for (const [route, purpose] of [
    [subscribeRoute, 'subscribe'],
    [renewRoute, 'renew'],
  ] as const) {
    app.openapi(route, async (c) => {
      const result = await buyPaidMembership(paymentDeps(c), {
        memberId: c.get('memberId'),
        planCode: c.req.valid('json').planCode,
        idempotencyKey: c.req.valid('header')['idempotency-key'],
        purpose,
      });
      return purchased(c, result);
    });
  }
  app.openapi(startTrialRoute, async (c) => {
    const { planCode, autoRenew } = c.req.valid('json');
    const status = await startTrial(c.get('services'), {
      memberId: c.get('memberId'),
      planCode,
      autoRenew,
    });
    return c.json(await statusJson(c, status), 200);
  });
  app.openapi(autoRenewRoute, async (c) => {
    const status = await setAutoRenew(c.get('services'), {
      memberId: c.get('memberId'),
      enabled: c.req.valid('json').enabled,
    });
    return c.json(await statusJson(c, status), 200);
  });
  app.openapi(cancelPaidRoute, async (c) => {
    const status = await cancelPaidMembership(c.get('services'), c.get('memberId'));
    return c.json(await statusJson(c, status), 200);
  });
  app.openapi(paymentsRoute, async (c) => {
    const payments = await paymentViews(c.get('services').db, { memberId: c.get('memberId') });
    return c.json({ payments: payments.map((p: PaymentView) => paymentJson(p)) }, 200);
  });
  app.openapi(messagesRoute, async (c) => {
    const messages = await memberMessages(c.get('services').db, c.get('memberId'));
    return c.json(
      { messages: messages.map((m) => ({ ...m, createdAt: m.createdAt.toISOString() })) },
      200,
    );
  });
}

/** The offer: plans at this member's fee, the trial, and what the membership includes. */
async function offer(c: Context<MemberEnv>) {
  const services = c.get('services');
  const memberId = c.get('memberId');
  const [plans, status, progress, benefits, multipliers] = await Promise.all([
    listPaidPlans(services.db, { soldOnly: true }),
    paidStatus(services, memberId),
    tierProgress(services, memberId),
    paidBenefitsCatalog(services),
    paidMultipliers(services.db),
  ]);
  const tier = progress.tier;
  const running = status.paid;
  return {
    tier: { code: tier.code, name: tier.name },
    membership: paidJson(status),
    trial: {
      available: !status.trialUsed && !running && plans.length > 0,
      used: status.trialUsed,
    },
    plans: plans.map((plan) => ({
      code: plan.code,
      name: plan.name,
      description: plan.description,
      currency: plan.currency,
      termMonths: plan.termMonths,
      feeMinor: planFeeFor(plan, tier.code),
      standardFeeMinor: plan.feeMinor,
      tierFeesMinor: plan.tierFeesMinor,
    })),
    includes: {
      benefits: benefits.map((b) => ({
        id: b.id,
        brand: 'brand' in b.publisher ? b.publisher.brand : null,
        title: b.title,
        kind: b.kind,
        description: b.description,
      })),
      earnMultipliers: multipliers,
    },
  };
}
