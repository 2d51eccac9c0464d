import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { getPartner } from '../../partners/index.ts';
import { reconcile } from '../../settlement/index.ts';
import { bodyBytes, textChunks } from '../body.ts';
import type { StaffEnv } from '../context.ts';
import { ReconcileSchema, reconcileFileBody } from '../reconcile-response.ts';
import { json } from '../schemas.ts';
import { PeriodIdParam, periodProblems } from './schemas.ts';

export const route = createRoute({
  method: 'post',
  path: '/periods/{periodId}/reconciliations/{partnerId}',
  tags: ['finance'],
  summary: "Reconcile a partner's transaction file for a period, on its behalf (streamed)",
  security: [{ staffToken: [] }],
  request: {
    params: PeriodIdParam.extend({
      partnerId: z.uuid().openapi({ param: { name: 'partnerId', in: 'path' } }),
    }),
    body: reconcileFileBody,
  },
  responses: {
    200: json(ReconcileSchema, 'Matched, missing on either side, mismatched with both values'),
    ...periodProblems,
  },
});

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(route, async (c) => {
    const { periodId, partnerId } = c.req.valid('param');
    await getPartner(c.get('services').db, partnerId);
    const outcome = await reconcile(c.get('services').db, {
      periodId,
      partnerId,
      file: textChunks(await bodyBytes(c)),
    });
    return c.json(outcome, 200);
  });
}
