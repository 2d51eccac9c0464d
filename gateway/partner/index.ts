import { OpenAPIHono } from '@hono/zod-openapi';
import type { PartnerEnv } from '../context.ts';
import { idempotency } from '../idempotency.ts';
import { partnerAuth } from '../partner-auth.ts';
import * as addStore from './add-store.ts';
import * as listStores from './list-stores.ts';
import * as me from './me.ts';

/**
 * /v1/partner: signed server-to-server calls. Every route, including unknown paths, passes
 * the signature check, then the partner's rate limit, then (POST) the Idempotency-Key layer;
 * a handler mounted here needs none of that itself.
 */
export function partnerRoutes(): OpenAPIHono<PartnerEnv> {
  const app = new OpenAPIHono<PartnerEnv>();
  app.use('*', ...partnerAuth, idempotency);
  for (const endpoint of [me, listStores, addStore]) endpoint.register(app);
  return app;
}
