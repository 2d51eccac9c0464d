import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  computeSegments,
  latestSegmentRun,
  readSegment,
  segmentNames,
  segmentRunReuseMs,
} from '../../members/index.ts';
import type { SegmentName } from '../../platform/index.ts';
import type { StaffEnv } from '../context.ts';
import { json, partnerAdminProblems, problems } from '../schemas.ts';

/** Member segments: the latest run (daily, at seeding, or asked for here) and its members. */

const security = [{ staffToken: [] }];
const SegmentEnum = z.enum(segmentNames as [SegmentName, ...SegmentName[]]);
const pageSizeMax = 1000;

export const countsRoute = createRoute({
  method: 'get',
  path: '/segments',
  tags: ['admin'],
  summary: 'How many members each segment holds, as of the latest run',
  description:
    'new, active, dormant (by last activity) and super_user (top spenders over 12 months). latestRun is null until segments were computed once (daily at 02:30, when the demo is seeded, or by POST /v1/admin/segments/runs).',
  security,
  responses: {
    200: json(
      z.object({
        latestRun: z
          .object({
            runId: z.uuid(),
            computedAt: z.string(),
            counts: z.record(SegmentEnum, z.number().int()),
          })
          .nullable(),
      }),
      'The latest run',
    ),
    401: problems[401],
    403: problems[403],
  },
});

export const runRoute = createRoute({
  method: 'post',
  path: '/segments/runs',
  tags: ['admin'],
  summary: 'Compute the segments now, and answer the run',
  description: `A run computed in the last ${segmentRunReuseMs / 1000} seconds is answered again instead (reused: true), so asking twice, or twice at once, computes once. Each computed run is written to the audit log with who asked.`,
  security,
  responses: {
    200: json(
      z.object({
        runId: z.uuid(),
        computedAt: z.string(),
        counts: z.record(SegmentEnum, z.number().int()),
        reused: z.boolean(),
      }),
      'The run',
    ),
    401: problems[401],
    403: problems[403],
  },
});

export const readRoute = createRoute({
  method: 'get',
  path: '/segments/{segment}',
  tags: ['admin'],
  summary: 'The members of one segment, a page at a time',
  security,
  request: {
    params: z.object({
      segment: SegmentEnum.openapi({ param: { name: 'segment', in: 'path' } }),
    }),
    query: z.object({
      limit: z.coerce.number().int().min(1).max(pageSizeMax).default(100),
      after: z.uuid().optional().openapi({ description: 'The previous page’s next' }),
    }),
  },
  responses: {
    200: json(
      z.object({
        segment: SegmentEnum,
        members: z.array(
          z.object({
            memberId: z.uuid(),
            lastActivityAt: z.string().nullable(),
            spend12mMinor: z.number().int(),
          }),
        ),
        next: z.uuid().nullable().openapi({ description: 'Pass as after; null: the last page' }),
      }),
      'By member id',
    ),
    ...partnerAdminProblems,
  },
});

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(countsRoute, async (c) => {
    const run = await latestSegmentRun(c.get('services').db);
    const latestRun = run
      ? { runId: run.runId, computedAt: run.computedAt.toISOString(), counts: run.counts }
      : null;
    return c.json({ latestRun }, 200);
  });
  app.openapi(runRoute, async (c) => {
    const staff = c.get('staff');
    const run = await computeSegments(c.get('services'), {
      reuseRecentRun: true,
      requestedBy: { kind: 'staff', id: staff.id },
    });
    if (!run.reused)
      c.get('logger').info({ runId: run.runId, by: staff.name }, 'segments computed');
    return c.json({ ...run, computedAt: run.computedAt.toISOString() }, 200);
  });
  app.openapi(readRoute, async (c) => {
    const { segment } = c.req.valid('param');
    const { limit, after } = c.req.valid('query');
    const rows = await readSegment(c.get('services').db, segment, { limit, after });
    const members = rows.map((m) => ({
      memberId: m.memberId,
      lastActivityAt: m.lastActivityAt?.toISOString() ?? null,
      spend12mMinor: m.spend12mMinor,
    }));
    const next = rows.length === limit ? (rows.at(-1)?.memberId ?? null) : null;
    return c.json({ segment, members, next }, 200);
  });
}
