import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { HubEnv } from './context.ts';
import { hubRouter } from './router.ts';

export const jwksRoute = createRoute({
  method: 'get',
  path: '/.well-known/jwks.json',
  tags: ['hub'],
  summary: 'The hub’s public signing keys',
  description:
    'Verifies hub receipts and member sessions. Holds the active key and the keys being retired, so receipts signed before a rotation keep verifying.',
  responses: {
    200: {
      description: 'A JSON Web Key Set',
      content: {
        'application/json': {
          schema: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }),
        },
      },
    },
  },
});

export function wellKnownRoutes(): OpenAPIHono<HubEnv> {
  const app = hubRouter<HubEnv>();
  app.openapi(jwksRoute, async (c) => {
    const jwks = await c.get('services').hubSigner.jwks();
    // Short caching: clients see a rotation within minutes without asking on every receipt.
    c.header('cache-control', 'public, max-age=300');
    return c.json({ keys: jwks.keys.map((k) => ({ ...k })) }, 200);
  });
  return app;
}
