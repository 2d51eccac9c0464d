import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { addStore, NewStoreSchema } from '../../partners/index.ts';
import type { PartnerEnv } from '../context.ts';
import { leaseIdempotency } from '../idempotency.ts';
import { json, problems, StoreSchema, storeView } from '../schemas.ts';

export const route = createRoute({
  method: 'post',
  path: '/stores',
  tags: ['partner'],
  summary: 'Open a store',
  description: 'Idempotent by Idempotency-Key, like every partner POST.',
  security: [{ partnerSignature: [] }],
  middleware: [leaseIdempotency] as const,
  request: {
    headers: z.object({ 'idempotency-key': z.string().min(1).max(255) }),
    body: { content: { 'application/json': { schema: NewStoreSchema } } },
  },
  responses: {
    201: json(StoreSchema, 'The new store'),
    400: problems[400],
    401: problems[401],
    403: problems[403],
    409: problems[409],
    422: problems[422],
    429: problems[429],
  },
});

export function register(app: OpenAPIHono<PartnerEnv>): void {
  app.openapi(route, async (c) => {
    const store = await addStore(c.get('services').db, c.get('partner').id, c.req.valid('json'));
    return c.json(storeView(store), 201);
  });
}
