import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { readOutbox } from '../../members/index.ts';
import { AppError } from '../../platform/index.ts';
import { problem } from '../schemas.ts';
import type { MemberEnv } from './context.ts';

export const devOutboxRoute = createRoute({
  method: 'get',
  path: '/v1/dev/member-outbox',
  tags: ['development'],
  summary: 'Development only: the messages (sign-in codes) the outbox sender delivered',
  description: 'Answers 404 when the hub runs with NODE_ENV=production.',
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
    404: problem('Not in production'),
  },
});

export function registerDevOutbox(app: OpenAPIHono<MemberEnv>): void {
  app.openapi(devOutboxRoute, async (c) => {
    const services = c.get('services');
    if (services.config.env === 'production') {
      throw new AppError('not_found', `No route for ${c.req.method} ${c.req.path}.`);
    }
    const messages = await readOutbox(services.db, c.req.valid('query'));
    return c.json(
      { messages: messages.map((m) => ({ ...m, createdAt: m.createdAt.toISOString() })) },
      200,
    );
  });
}
