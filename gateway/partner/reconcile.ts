import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { reconcile } from '../../settlement/index.ts';
import { bodyBytes, textChunks } from '../body.ts';
import type { PartnerEnv } from '../context.ts';
import { leaseIdempotency } from '../idempotency.ts';
import { ReconcileSchema, reconcileFileBody } from '../reconcile-response.ts';
import { json, problems } from '../schemas.ts';
import { periodProblems } from '../statement-response.ts';

export const route = createRoute({
  method: 'post',
  path: '/reconciliations/{periodId}',
  tags: ['partner'],
  summary: 'Reconcile the signing partner’s own transaction file against its statement',
  description:
    'The signature covers the whole body, so files sent here are limited to the 1 MiB of signed bodies; larger files go through finance.',
  security: [{ partnerSignature: [] }],
  middleware: [leaseIdempotency] as const,
  request: {
    params: z.object({ periodId: z.uuid().openapi({ param: { name: 'periodId', in: 'path' } }) }),
    body: reconcileFileBody,
  },
  responses: {
    200: json(ReconcileSchema, 'Matched, missing on either side, mismatched with both values'),
    ...periodProblems,
    429: problems[429],
  },
});

export function register(app: OpenAPIHono<PartnerEnv>): void {
  app.openapi(route, async (c) => {
    // The signature check has read the body already (bounded); it is parsed line by line.
    const outcome = await reconcile(c.get('services').db, {
      periodId: c.req.valid('param').periodId,
      partnerId: c.get('partner').id,
      file: textChunks(await bodyBytes(c)),
    });
    return c.json(outcome, 200);
  });
}
