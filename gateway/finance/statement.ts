import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { getPartner } from '../../partners/index.ts';
import type { StaffEnv } from '../context.ts';
import { StatementQuery, statementContent, statementResponse } from '../statement-response.ts';
import { PeriodIdParam, periodProblems } from './schemas.ts';

export const route = createRoute({
  method: 'get',
  path: '/periods/{periodId}/statements/{partnerId}',
  tags: ['finance'],
  summary: "A partner's statement of a period, as JSON or CSV",
  security: [{ staffToken: [] }],
  request: {
    params: PeriodIdParam.extend({
      partnerId: z.uuid().openapi({ param: { name: 'partnerId', in: 'path' } }),
    }),
    query: StatementQuery,
  },
  responses: {
    200: { description: 'The statement', content: statementContent },
    ...periodProblems,
  },
});

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(route, async (c) => {
    const { periodId, partnerId } = c.req.valid('param');
    const services = c.get('services');
    // A typo in the partner id is an error, not an empty statement.
    await getPartner(services.db, partnerId);
    return statementResponse(c, services, { ...c.req.valid('query'), periodId, partnerId });
  });
}
