import { Hono } from 'hono';
import { checkReadiness } from '../platform/index.ts';
import type { HubEnv } from './context.ts';

/** Liveness answers without touching anything; readiness checks every dependency. */
export function healthRoutes(): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  app.get('/healthz', (c) => c.json({ status: 'alive' }));
  app.get('/readyz', async (c) => {
    const readiness = await checkReadiness(c.get('services'));
    return c.json(
      { status: readiness.ready ? 'ready' : 'not ready', checks: readiness.checks },
      readiness.ready ? 200 : 503,
    );
  });
  return app;
}
