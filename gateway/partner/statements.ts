import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { PartnerEnv } from '../context.ts';
import { problems } from '../schemas.ts';
import {
  periodProblems,
  StatementQuery,
  statementContent,
  statementResponse,
} from '../statement-response.ts';

export const route = createRoute({
  method: 'get',
  path: '/statements/{periodId}',
  tags: ['partner'],
  summary: "The signing partner's own settlement statement of a period, as JSON or CSV",
  security: [{ partnerSignature: [] }],
  request: {
    params: z.object({ periodId: z.uuid().openapi({ param: { name: 'periodId', in: 'path' } }) }),
    query: StatementQuery,
  },
  responses: {
    200: { description: 'The statement', content: statementContent },
    ...periodProblems,
    429: problems[429],
  },
});

export function register(app: OpenAPIHono<PartnerEnv>): void {
  app.openapi(route, async (c) => {
    // Scoped to the signer: a partner can only ever read its own statement.
    return statementResponse(c, c.get('services'), {
      ...c.req.valid('query'),
      periodId: c.req.valid('param').periodId,
      partnerId: c.get('partner').id,
    });
  });
}
