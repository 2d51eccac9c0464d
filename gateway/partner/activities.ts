import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { PartnerEnv } from '../context.ts';
import { tillKey } from '../idempotency.ts';
import { json } from '../schemas.ts';
import { counterProblems, IdempotencyHeader, MemberRefSchema } from './counter-schemas.ts';

/** What members do besides buying, reported by partners: growth by the alliance's rules. */

const ActivitySchema = z
  .object({
    member: MemberRefSchema,
    kind: z.enum(['check_in', 'review', 'login']),
    activityId: z.string().min(1).max(100).openapi({
      description: 'Your id for the activity: a retry with it counts once, whatever its key',
    }),
    occurredAt: z.iso.datetime({ offset: true }),
  })
  .strict()
  .openapi('Activity');

const ActivityAnswerSchema = z
  .object({
    memberId: z.uuid(),
    kind: z.enum(['check_in', 'review', 'login']),
    counted: z.boolean().openapi({
      description: 'false: the member had reached the alliance’s daily cap for this kind',
    }),
    duplicate: z.boolean(),
    growthAdded: z.int(),
    growthValue: z.int(),
    tier: z.string(),
    tierChange: z
      .object({
        fromTier: z.string().nullable(),
        toTier: z.string(),
        reason: z.string(),
        growthValue: z.int(),
        changedAt: z.string(),
      })
      .nullable(),
  })
  .openapi('ActivityAnswer');

export const route = createRoute({
  method: 'post',
  path: '/activities',
  tags: ['partner: earn'],
  summary: 'Report a member’s check-in, review or login: growth toward their tier',
  description:
    'What each kind is worth and how many count per member per day (the alliance’s local day) are the alliance’s settings, not yours: past the day’s cap the answer says counted: false and nothing is added. The member may be named like an accrual’s (customer id, member id, or scanned member code). occurredAt may be at most 5 minutes ahead and 30 days back.',
  security: [{ partnerSignature: [] }],
  request: {
    headers: IdempotencyHeader,
    body: { content: { 'application/json': { schema: ActivitySchema } } },
  },
  responses: { 200: json(ActivityAnswerSchema, 'Reported'), ...counterProblems },
});

export function register(app: OpenAPIHono<PartnerEnv>): void {
  app.openapi(route, async (c) => {
    const body = c.req.valid('json');
    const { answer } = await c
      .get('counter')
      .reportActivity(
        c.get('partner').id,
        { ...body, occurredAt: new Date(body.occurredAt) },
        tillKey(c),
      );
    return c.json(
      {
        ...answer,
        tierChange: answer.tierChange && {
          ...answer.tierChange,
          changedAt: answer.tierChange.changedAt.toISOString(),
        },
      },
      200,
    );
  });
}
