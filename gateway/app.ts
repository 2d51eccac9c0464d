import { OpenAPIHono } from '@hono/zod-openapi';
import { requestId } from 'hono/request-id';
import { type Counter, createCounter } from '../counter/index.ts';
import { createLedger, type ExtraPostings, type Ledger } from '../ledger/index.ts';
import type { PaymentProvider, SignInCodeSender } from '../members/index.ts';
import { AppError, type Services, scrapeMetrics } from '../platform/index.ts';
import { clearingPostings, defaultSettlementSettings } from '../settlement/index.ts';
import { adminRoutes } from './admin/index.ts';
import { limitBody } from './body.ts';
import type { HubEnv } from './context.ts';
import { docsRoutes } from './docs.ts';
import { financeRoutes } from './finance/index.ts';
import { healthRoutes } from './health.ts';
import { memberRoutes, signInSenderFor } from './member/index.ts';
import { metricsRoutes, observeRequests } from './metrics.ts';
import { pageRoutes } from './pages/index.ts';
import { partnerRoutes } from './partner/index.ts';
import { paymentRoutes } from './payments.ts';
import { fieldsFromZod, onError, problemResponse } from './problem.ts';
import { wellKnownRoutes } from './well-known.ts';

/** The domain objects a process builds once and every request shares. */
export type AppDomains = {
  ledger?: Ledger;
  clearing?: ExtraPostings;
  counter?: Counter;
  /** How sign-in codes reach members (an SMS/email gateway); see memberRoutes. */
  signInSender?: SignInCodeSender;
  /** How members pay for the paid membership (domains.ts); without one, buying answers 503. */
  paymentProvider?: PaymentProvider | null;
};

/**
 * The whole HTTP surface of the hub. Routers per audience are mounted here, so this file reads
 * as the table of contents of the API.
 */
export function createApp(services: Services, domains: AppDomains = {}): OpenAPIHono<HubEnv> {
  const ledger = domains.ledger ?? createLedger(services);
  // A process passes the alliance's rules as loaded (domains.ts); without them, the rules a
  // new alliance starts with, so that no redemption is ever booked without its obligations.
  const clearing = domains.clearing ?? clearingPostings(defaultSettlementSettings);
  const counter = domains.counter ?? createCounter({ services, ledger, clearing });
  const app = new OpenAPIHono<HubEnv>({
    // Thrown, not answered: the request never reached its use case, and the layers around
    // the handler (idempotency) can tell a refusal of input from the use case's own answer.
    defaultHook: (result) => {
      if (!result.success) {
        const fields = fieldsFromZod(result.error, result.target);
        throw new AppError('validation_failed', 'Some fields are not valid.', { fields });
      }
    },
  });

  app.use(observeRequests);
  // An incoming X-Request-Id of word characters, '-' and '=' is kept (a proxy's or a partner's
  // own), else one is made; either is echoed in the answer and on every log line of the request.
  app.use(requestId({ headerName: 'x-request-id', limitLength: 128 }));
  app.use(async (c, next) => {
    c.set('services', services);
    c.set('ledger', ledger);
    c.set('counter', counter);
    c.set('paymentProvider', domains.paymentProvider ?? null);
    c.set('logger', services.logger.child({ requestId: c.get('requestId') }));
    await next();
  });
  // Before any router reads a byte: every route's body has a limit (gateway/body.ts).
  app.use(limitBody);
  app.onError(onError);
  app.notFound((c) =>
    problemResponse(c, new AppError('not_found', `No route for ${c.req.method} ${c.req.path}.`)),
  );

  app.route('/', healthRoutes());
  app.route('/', metricsRoutes(scrapeMetrics));
  app.route('/', wellKnownRoutes());
  app.route('/', docsRoutes());
  app.route('/v1/admin', adminRoutes());
  app.route('/v1/partner', partnerRoutes());
  app.route('/v1/finance', financeRoutes());
  app.route('/', paymentRoutes());

  app.openAPIRegistry.registerComponent('securitySchemes', 'staffToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'A staff API token (npm run staff -- create)',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'partnerSignature', {
    type: 'apiKey',
    in: 'header',
    name: 'Hub-Signature',
    description:
      'A detached JWS over the request, with Hub-Partner, Hub-Timestamp and Hub-Nonce: see docs/signing.md',
  });
  const members = { demo: services.config.demo, signInSender: domains.signInSender };
  app.route('/', memberRoutes(members));
  // Pages for people (gateway/pages/): outside the OpenAPI document, same use cases.
  app.route('/', pageRoutes({ demo: members.demo, senderFor: signInSenderFor(members) }));

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Alliance hub API', version: '1.0.0' },
  });
  return app;
}
