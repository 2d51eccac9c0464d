import type { OpenAPIHono } from '@hono/zod-openapi';
import { KeptAnswer } from '../../partners/index.ts';
import type { PartnerEnv } from '../context.ts';
import { idempotencyKeyHeader, keptResponse } from '../idempotency.ts';
import { partnerAuth } from '../partner-auth.ts';
import { onError } from '../problem.ts';
import { hubRouter } from '../router.ts';
import * as accruals from './accruals.ts';
import * as activities from './activities.ts';
import * as addStore from './add-store.ts';
import * as benefits from './benefits.ts';
import * as keys from './keys.ts';
import * as listStatements from './list-statements.ts';
import * as listStores from './list-stores.ts';
import * as me from './me.ts';
import * as members from './members.ts';
import * as reconcile from './reconcile.ts';
import * as redemptions from './redemptions.ts';
import * as refunds from './refunds.ts';
import * as rules from './rules.ts';
import * as statements from './statements.ts';
import * as webhookDeliveries from './webhook-deliveries.ts';
import * as webhooks from './webhooks.ts';

/**
 * A router whose every route, including unknown paths, passes the signature check, then the
 * partner's rate limit, then (POST) the Idempotency-Key check; a handler mounted on it needs
 * none of that itself. The till's use cases keep their answers in their own transactions
 * (tillKey); other POST routes add leaseIdempotency. A kept answer a use case finds for its
 * key is sent again as it was kept.
 */
export function signedRouter(): OpenAPIHono<PartnerEnv> {
  const app = hubRouter<PartnerEnv>();
  app.use('*', ...partnerAuth, idempotencyKeyHeader);
  app.onError((error, c) =>
    error instanceof KeptAnswer ? keptResponse(c, error) : onError(error, c),
  );
  return app;
}

/**
 * /v1/partner: signed server-to-server calls. A new endpoint is one file exporting `route` and
 * `register`, one entry below, and one line in the signedRoutes list of
 * tests/integration/partner-signature.test.ts (which then runs every signature failure on it).
 */
export function partnerRoutes(): OpenAPIHono<PartnerEnv> {
  const app = signedRouter();
  for (const endpoint of [
    me,
    listStores,
    addStore,
    rules,
    members,
    accruals,
    activities,
    redemptions,
    refunds,
    benefits,
    listStatements,
    statements,
    reconcile,
    webhooks,
    webhookDeliveries,
    keys,
  ]) {
    endpoint.register(app);
  }
  return app;
}
