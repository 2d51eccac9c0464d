import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  announcePartnerChange,
  getOutstandingPointsMax,
  getPartner,
  outstandingPointsCaps,
  setOutstandingPointsMax,
} from '../../partners/index.ts';
import { AppError } from '../../platform/index.ts';
import { liabilityAt, loadSettlementSettings, periodLiability } from '../../settlement/index.ts';
import { audited } from '../audit.ts';
import type { StaffEnv } from '../context.ts';
import { json, PartnerIdParam, partnerAdminProblems, problems } from '../schemas.ts';
import { PeriodIdParam, periodProblems } from './schemas.ts';

/** The points liability: now or at an instant, the daily snapshots, and issuers' caps. */

const security = [{ staffToken: [] }];
const points = z.number().int();

const IssuerSchema = z.object({
  partnerId: z.uuid(),
  outstandingPoints: points.openapi({ description: 'issued, not spent, not expired' }),
  expiredUnsweptPoints: points.openapi({
    description: 'past expiry, not yet moved to breakage by the expiry job',
  }),
  valueMinor: points.openapi({ description: 'outstanding points x point value, half to even' }),
  windowSpentPoints: points,
  windowBrokenPoints: points,
  breakageRate: z.string().nullable().openapi({
    description: 'broken / (broken + spent) over the window; null: no history',
  }),
  expectedBreakagePoints: points,
  expectedBreakageMinor: points,
});

const totals = IssuerSchema.omit({ partnerId: true, breakageRate: true });

const LiabilitySchema = z
  .object({
    at: z.string(),
    currency: z.string(),
    pointValueMinor: z.string(),
    windowDays: z.number().int(),
    issuers: z.array(
      IssuerSchema.extend({
        limitPoints: points
          .nullable()
          .openapi({ description: 'the cap on outstanding points; null: none' }),
      }),
    ),
    totals,
  })
  .openapi('Liability');

export const nowRoute = createRoute({
  method: 'get',
  path: '/liability',
  tags: ['finance'],
  summary: 'Outstanding points per issuer, their value and expected breakage, now or at an instant',
  description:
    'Without `at`: the lots as they are now. With `at`: the ledger just before that instant (entries booked before it). Breakage is estimated from each issuer’s last 365 days: see docs/settlement.md.',
  security,
  request: {
    query: z.object({
      at: z.iso
        .datetime({ offset: true })
        .optional()
        .openapi({ description: 'an instant in the past' }),
    }),
  },
  responses: {
    200: json(LiabilitySchema, 'The liability'),
    400: problems[400],
    401: problems[401],
    403: problems[403],
  },
});

export const snapshotRoute = createRoute({
  method: 'get',
  path: '/periods/{periodId}/liability',
  tags: ['finance'],
  summary: 'The liability snapshot taken at the end of a period (the daily snapshot)',
  security,
  request: { params: PeriodIdParam },
  responses: {
    200: json(
      LiabilitySchema.omit({ issuers: true }).extend({
        periodId: z.uuid(),
        localDate: z.string(),
        snapshotAt: z.string(),
        issuers: z.array(IssuerSchema),
      }),
      'The snapshot',
    ),
    ...periodProblems,
  },
});

const LimitSchema = z
  .object({
    pointsMax: z
      .number()
      .int()
      .min(1)
      .max(Number.MAX_SAFE_INTEGER)
      .nullable()
      .openapi({ description: 'the most points of this issuer outstanding; null lifts the cap' }),
  })
  .strict();

export const limitRoute = createRoute({
  method: 'put',
  path: '/liability/limits/{partnerId}',
  tags: ['finance'],
  summary: 'Cap an issuer’s outstanding points; accruals past it are refused',
  description:
    'Purchases that would take the issuer past the cap are answered 422 liability_limit_reached; points already out stay out. Applies at once in this process and within seconds in the others.',
  security,
  request: {
    params: PartnerIdParam,
    body: { content: { 'application/json': { schema: LimitSchema } } },
  },
  responses: {
    200: json(z.object({ partnerId: z.uuid(), pointsMax: points.nullable() }), 'The cap in force'),
    ...partnerAdminProblems,
  },
});

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(nowRoute, async (c) => {
    const { db, clock } = c.get('services');
    const now = clock.now();
    const query = c.req.valid('query');
    const at = query.at === undefined ? undefined : new Date(query.at);
    if (at && at.getTime() > now.getTime())
      throw new AppError('validation_failed', 'The instant is in the future.', {
        fields: [{ field: 'query.at', reason: 'not after now' }],
      });
    const settings = await loadSettlementSettings(db);
    const [liability, caps] = await Promise.all([
      liabilityAt(db, { at, now, currency: settings.currency, pointValue: settings.pointValue }),
      outstandingPointsCaps(db),
    ]);
    const issuers = liability.issuers.map((i) => ({
      ...i,
      limitPoints: caps.get(i.partnerId) ?? null,
    }));
    return c.json({ ...liability, issuers }, 200);
  });
  app.openapi(snapshotRoute, async (c) => {
    return c.json(await periodLiability(c.get('services').db, c.req.valid('param').periodId), 200);
  });
  app.openapi(limitRoute, async (c) => {
    const { partnerId } = c.req.valid('param');
    const { pointsMax } = c.req.valid('json');
    const services = c.get('services');
    await audited(c, async (tx) => {
      const partner = await getPartner(tx, partnerId);
      const before = { pointsMax: await getOutstandingPointsMax(tx, partner.id) };
      await setOutstandingPointsMax(tx, partner.id, pointsMax, services.clock.now());
      const audit = { action: 'issuer.limit', subject: partner.id, before, after: { pointsMax } };
      return { result: undefined, audit };
    });
    // Every process's accrual batches read the cap from their cached counter rules.
    await announcePartnerChange(services, partnerId);
    return c.json({ partnerId, pointsMax }, 200);
  });
}
