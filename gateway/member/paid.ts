import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { cancelPaidMembership, paidStatus, startTrial } from '../../members/index.ts';
import { problem } from '../schemas.ts';
import type { MemberEnv } from './context.ts';
import { PaidStatusSchema, paidJson } from './schemas.ts';

const security = [{ memberSession: [] }];
const statusResponse = {
  content: { 'application/json': { schema: PaidStatusSchema } },
  description: 'The paid membership',
};

export const getPaidRoute = createRoute({
  method: 'get',
  path: '/v1/me/paid-membership',
  tags: ['member'],
  summary: 'The paid super-membership: status, term, trial',
  security,
  responses: { 200: statusResponse, 401: problem('Not signed in') },
});

export const startTrialRoute = createRoute({
  method: 'post',
  path: '/v1/me/paid-membership/trial',
  tags: ['member'],
  summary: 'Start the free trial (once per member)',
  security,
  request: {
    body: {
      content: {
        'application/json': { schema: z.object({ planCode: z.string().min(1).max(40) }) },
      },
      required: true,
    },
  },
  responses: {
    200: statusResponse,
    401: problem('Not signed in'),
    404: problem('No such plan'),
    422: problem('The trial was used, or a paid term runs'),
  },
});

export const cancelPaidRoute = createRoute({
  method: 'post',
  path: '/v1/me/paid-membership/cancel',
  tags: ['member'],
  summary: 'Cancel: no renewal; the benefits last to the end of the term',
  security,
  responses: {
    200: statusResponse,
    401: problem('Not signed in'),
    422: problem('Nothing to cancel'),
  },
});

export function registerPaid(app: OpenAPIHono<MemberEnv>): void {
  app.openapi(getPaidRoute, async (c) =>
    c.json(paidJson(await paidStatus(c.get('services'), c.get('memberId'))), 200),
  );
  app.openapi(startTrialRoute, async (c) => {
    const { planCode } = c.req.valid('json');
    const status = await startTrial(c.get('services'), { memberId: c.get('memberId'), planCode });
    return c.json(paidJson(status), 200);
  });
  app.openapi(cancelPaidRoute, async (c) =>
    c.json(paidJson(await cancelPaidMembership(c.get('services'), c.get('memberId'))), 200),
  );
}
