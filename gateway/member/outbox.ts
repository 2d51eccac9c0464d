import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { readOutbox } from '../../members/index.ts';
import type { MemberEnv } from './context.ts';

export const devOutboxRoute = createRoute({
  method: 'get',
  path: '/v1/dev/member-outbox',
  tags: ['development'],
  summary: 'Demo mode only: the messages (sign-in codes) the outbox sender delivered',
  description:
    'Exists only in demo mode (HUB_DEMO=1, gateway on loopback); otherwise the path is unknown (404).',
  request: {
    query: z.object({
      recipient: z.string().max(254).optional(),
      limit: z.coerce.number().int().min(1).max(100).default(20),
    }),
  },
  responses: {
    200: {
      content: {
        'application/json': {
          schema: z.object({
            messages: z.array(
              z.object({
                id: z.string(),
                channel: z.enum(['sms', 'email']),
                recipient: z.string(),
                subject: z.string(),
                body: z.string(),
                createdAt: z.string(),
              }),
            ),
          }),
        },
      },
      description: 'Newest first',
    },
  },
});

export function registerDevOutbox(app: OpenAPIHono<MemberEnv>): void {
  app.openapi(devOutboxRoute, async (c) => {
    const messages = await readOutbox(c.get('services').db, c.req.valid('query'));
    return c.json(
      { messages: messages.map((m) => ({ ...m, createdAt: m.createdAt.toISOString() })) },
      200,
    );
  });
}
