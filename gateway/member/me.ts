import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  findMemberById,
  growthEvents,
  paidStatus,
  pointsExpiringSoon,
  tierHistory,
  tierProgress,
  updateProfile,
} from '../../members/index.ts';
import { partnerBrands } from '../../partners/index.ts';
import { AppError } from '../../platform/index.ts';
import { problem } from '../schemas.ts';
import type { MemberEnv } from './context.ts';
import {
  PaidStatusSchema,
  ProfileSchema,
  paidJson,
  profileJson,
  progressJson,
  TierProgressSchema,
} from './schemas.ts';

const security = [{ memberSession: [] }];

const PointsSchema = z
  .object({
    balance: z.number().int(),
    held: z.number().int(),
    available: z.number().int(),
    expiringSoon: z
      .object({
        withinDays: z.number().int(),
        points: z.number().int(),
        byDate: z.array(
          z.object({
            date: z
              .string()
              .openapi({ example: '2026-12-24', description: 'in the alliance’s time zone' }),
            points: z.number().int(),
          }),
        ),
      })
      .openapi({ description: 'points that expire in the next withinDays days unless spent' }),
  })
  .openapi('MemberPoints');

export const getActivityRoute = createRoute({
  method: 'get',
  path: '/v1/me/activity',
  tags: ['member'],
  summary: 'Every change to the points balance, at every brand, newest first (paged)',
  security,
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(20),
      cursor: z
        .string()
        .max(100)
        .optional()
        .openapi({ description: 'nextCursor of the previous page' }),
    }),
  },
  responses: {
    200: {
      content: {
        'application/json': {
          schema: z.object({
            activity: z.array(
              z.object({
                entryId: z.string(),
                kind: z.string().openapi({ example: 'accrual' }),
                partnerId: z.string().nullable(),
                brand: z.string().nullable(),
                points: z.number().int(),
                bookedAt: z.string(),
                orderId: z.string().nullable(),
                storeCode: z.string().nullable(),
              }),
            ),
            nextCursor: z.string().nullable(),
          }),
        },
      },
      description: 'Activity',
    },
    400: problem('Not valid'),
    401: problem('Not signed in'),
  },
});

export const getMeRoute = createRoute({
  method: 'get',
  path: '/v1/me',
  tags: ['member'],
  summary: 'The signed-in member: profile, points, tier and progress, paid membership',
  description:
    "Points are one balance across every brand: `held` is reserved by counters' open authorisations.",
  security,
  responses: {
    200: {
      content: {
        'application/json': {
          schema: z.object({
            profile: ProfileSchema,
            points: PointsSchema,
            tier: TierProgressSchema,
            paidMembership: PaidStatusSchema,
          }),
        },
      },
      description: 'The member',
    },
    401: problem('Not signed in'),
  },
});

export const patchMeRoute = createRoute({
  method: 'patch',
  path: '/v1/me',
  tags: ['member'],
  summary: 'Change the display name or consents',
  security,
  request: {
    body: {
      content: {
        'application/json': {
          schema: z.object({
            displayName: z.string().max(100).optional(),
            consents: z
              .object({ marketing: z.boolean().optional(), partnerSharing: z.boolean().optional() })
              .optional(),
          }),
        },
      },
      required: true,
    },
  },
  responses: {
    200: { content: { 'application/json': { schema: ProfileSchema } }, description: 'Changed' },
    400: problem('Not valid'),
    401: problem('Not signed in'),
  },
});

export const getTierRoute = createRoute({
  method: 'get',
  path: '/v1/me/tier',
  tags: ['member'],
  summary: 'Tier, growth value, what the next tier needs, and the tier history',
  security,
  responses: {
    200: {
      content: {
        'application/json': {
          schema: TierProgressSchema.extend({
            history: z.array(
              z.object({
                fromTier: z.string().nullable(),
                toTier: z.string(),
                reason: z.enum(['growth', 'review', 'operator']),
                growthValue: z.number().int(),
                changedAt: z.string(),
              }),
            ),
          }),
        },
      },
      description: 'Tier and progress',
    },
    401: problem('Not signed in'),
  },
});

export const getGrowthRoute = createRoute({
  method: 'get',
  path: '/v1/me/growth',
  tags: ['member'],
  summary: 'Growth value and the events that made it, newest first (paged)',
  description:
    'Page with `cursor`: pass the previous page’s `nextCursor` until it is null. Events that share a time are each listed once. `before` keeps only events that occurred before that time (it is no cursor: events at the same instant as the last one seen would be skipped).',
  security,
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(20),
      cursor: z
        .string()
        .min(1)
        .max(100)
        .optional()
        .openapi({ description: 'nextCursor of the previous page' }),
      before: z.iso
        .datetime()
        .optional()
        .openapi({ description: 'only events that occurred before this time' }),
    }),
  },
  responses: {
    200: {
      content: {
        'application/json': {
          schema: z.object({
            growthValue: z.number().int(),
            windowMonths: z.number().int(),
            events: z.array(
              z.object({
                id: z.string(),
                partnerId: z.string().nullable(),
                brand: z.string().nullable(),
                kind: z.enum(['purchase', 'refund', 'check_in', 'review', 'login', 'other']),
                amount: z.number().int(),
                occurredAt: z.string(),
              }),
            ),
            nextCursor: z
              .string()
              .nullable()
              .openapi({ description: 'pass as cursor for the next page; null: the last page' }),
          }),
        },
      },
      description: 'Growth events',
    },
    400: problem('Not valid'),
    401: problem('Not signed in'),
  },
});

export function registerMe(app: OpenAPIHono<MemberEnv>): void {
  app.openapi(getActivityRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const page = await c.get('ledger').memberActivity(c.get('memberId'), { limit, cursor });
    const db = c.get('services').db;
    const partnerIds = [...new Set(page.lines.flatMap((l) => (l.partnerId ? [l.partnerId] : [])))];
    const brands = await partnerBrands(db, partnerIds);
    const activity = page.lines.map((l) => ({
      ...l,
      brand: l.partnerId ? (brands.get(l.partnerId) ?? null) : null,
    }));
    return c.json({ activity, nextCursor: page.nextCursor }, 200);
  });
  app.openapi(getMeRoute, async (c) => {
    const services = c.get('services');
    const memberId = c.get('memberId');
    const profile = await findMemberById(services.db, memberId);
    if (!profile) throw new AppError('not_found', 'No such member.');
    const [progress, paid, points, expiringSoon] = await Promise.all([
      tierProgress(services, memberId),
      paidStatus(services, memberId),
      c.get('ledger').memberPoints(memberId),
      pointsExpiringSoon(services, c.get('ledger'), memberId),
    ]);
    return c.json(
      {
        profile: profileJson(profile),
        points: { ...points, expiringSoon },
        tier: progressJson(progress),
        paidMembership: paidJson(paid),
      },
      200,
    );
  });
  app.openapi(patchMeRoute, async (c) => {
    const profile = await updateProfile(c.get('services'), c.get('memberId'), c.req.valid('json'));
    return c.json(profileJson(profile), 200);
  });
  app.openapi(getTierRoute, async (c) => {
    const services = c.get('services');
    const memberId = c.get('memberId');
    const [progress, history] = await Promise.all([
      tierProgress(services, memberId),
      tierHistory(services.db, memberId),
    ]);
    return c.json(
      {
        ...progressJson(progress),
        history: history.map((h) => ({ ...h, changedAt: h.changedAt.toISOString() })),
      },
      200,
    );
  });
  app.openapi(getGrowthRoute, async (c) => {
    const services = c.get('services');
    const memberId = c.get('memberId');
    const { limit, cursor, before } = c.req.valid('query');
    const [progress, page] = await Promise.all([
      tierProgress(services, memberId),
      growthEvents(services.db, memberId, {
        limit,
        cursor,
        before: before ? new Date(before) : undefined,
      }),
    ]);
    return c.json(
      {
        growthValue: progress.growthValue,
        windowMonths: progress.windowMonths,
        events: page.events.map((e) => ({ ...e, occurredAt: e.occurredAt.toISOString() })),
        nextCursor: page.nextCursor,
      },
      200,
    );
  });
}
