import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  cachedTiers,
  createPaidPlan,
  listPaidPlans,
  loadMembershipSettings,
  MembershipSettingsChangesSchema,
  type PlanView,
  updateMembershipSettings,
  updatePaidPlan,
  updateTier,
} from '../../members/index.ts';
import {
  counterPolicyBounds,
  counterPolicySettings,
  updateCounterPolicy,
} from '../../partners/index.ts';
import type { AuditActor } from '../../platform/index.ts';
import type { StaffEnv } from '../context.ts';
import { json, problem, problems } from '../schemas.ts';

/**
 * The alliance's rules as an operator runs them: membership settings, the counter's points
 * policy, the tier ladder and the paid plans. Every change is audited (who, when, before,
 * after) in its transaction and applies to every hub process at once.
 */

const security = [{ staffToken: [] }];
const adminProblems = {
  400: problems[400],
  401: problems[401],
  403: problems[403],
  404: problems[404],
  422: problem('The change breaks a rule of the ladder or the plan'),
};

const TierSchema = z.object({
  code: z.string(),
  name: z.string(),
  rank: z.int(),
  thresholdGrowth: z.int().openapi({ description: 'rolling growth value (fen) to reach it' }),
  discountBp: z.int().openapi({ description: 'share of the price paid, basis points' }),
  earnMultiplier: z.string(),
});

const ActivityRuleSchema = z.object({ amount: z.int(), dailyCap: z.int() });

const SettingsSchema = z
  .object({
    membership: z.object({
      growthWindowMonths: z.int(),
      tierReviewMonths: z.int(),
      trialDays: z.int(),
      newMemberDays: z.int(),
      dormantAfterDays: z.int(),
      superUserPercent: z.int(),
      renewalReminderDays: z.int(),
      closingPointsPolicy: z.enum(['forfeit', 'pay_out']),
      activityGrowth: z.object({
        check_in: ActivityRuleSchema,
        review: ActivityRuleSchema,
        login: ActivityRuleSchema,
      }),
    }),
    points: z.object({ pointsLifetimeDays: z.int(), holdTtlSeconds: z.int() }),
    tiers: z.array(TierSchema),
  })
  .openapi('AllianceSettings');

const SettingsChangesSchema = z
  .object({
    membership: MembershipSettingsChangesSchema.optional(),
    points: z
      .object({
        pointsLifetimeDays: z
          .int()
          .min(counterPolicyBounds.pointsLifetimeDays.min)
          .max(counterPolicyBounds.pointsLifetimeDays.max)
          .optional()
          .openapi({ description: 'for points earned from now on; earned points keep theirs' }),
        holdTtlSeconds: z
          .int()
          .min(counterPolicyBounds.holdTtlSeconds.min)
          .max(counterPolicyBounds.holdTtlSeconds.max)
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .openapi('AllianceSettingsChanges');

export const getSettingsRoute = createRoute({
  method: 'get',
  path: '/settings',
  tags: ['admin'],
  summary: 'The alliance’s rules: membership settings, points policy, tier ladder',
  security,
  responses: {
    200: json(SettingsSchema, 'The rules in force'),
    401: problems[401],
    403: problems[403],
  },
});

export const patchSettingsRoute = createRoute({
  method: 'patch',
  path: '/settings',
  tags: ['admin'],
  summary: 'Change membership settings or the points policy (audited, applied everywhere at once)',
  security,
  request: { body: { content: { 'application/json': { schema: SettingsChangesSchema } } } },
  responses: { 200: json(SettingsSchema, 'The rules in force'), ...adminProblems },
});

const codeParam = (max: number) =>
  z.object({
    code: z
      .string()
      .min(1)
      .max(max)
      .openapi({ param: { name: 'code', in: 'path' } }),
  });

export const patchTierRoute = createRoute({
  method: 'patch',
  path: '/tiers/{code}',
  tags: ['admin'],
  summary: 'Change one tier of the ladder: threshold, discount, multiplier or name',
  description:
    'The ladder is checked whole (the entry tier at 0, thresholds rising with rank). Members keep their tier until they grow into a higher one or are reviewed.',
  security,
  request: {
    params: codeParam(32),
    body: {
      content: {
        'application/json': {
          schema: z
            .object({
              name: z.string().min(1).max(100).optional(),
              thresholdGrowth: z.int().min(0).max(1_000_000_000_000).optional(),
              discountBp: z.int().min(1).max(10_000).optional(),
              earnMultiplier: z
                .string()
                .regex(/^[0-9]{1,6}(\.[0-9]{1,6})?$/)
                .optional(),
            })
            .strict(),
        },
      },
    },
  },
  responses: {
    200: json(z.object({ tiers: z.array(TierSchema) }), 'The ladder'),
    ...adminProblems,
  },
});

const PlanSchema = z
  .object({
    code: z.string(),
    name: z.string(),
    description: z.string(),
    status: z.enum(['active', 'retired']),
    currency: z.string(),
    feeMinor: z.int(),
    termMonths: z.int(),
    tierFeesMinor: z.record(z.string(), z.int()),
  })
  .openapi('PaidPlan');

const fee = z.int().min(0).max(1_000_000_000);
const tierFees = z.record(z.string().min(1).max(32), fee);

export const listPlansRoute = createRoute({
  method: 'get',
  path: '/plans',
  tags: ['admin'],
  summary: 'The paid plans, sold and retired',
  security,
  responses: {
    200: json(z.object({ plans: z.array(PlanSchema) }), 'Plans'),
    401: problems[401],
    403: problems[403],
  },
});

export const createPlanRoute = createRoute({
  method: 'post',
  path: '/plans',
  tags: ['admin'],
  summary: 'Create a paid plan with its fee and fees by tier',
  security,
  request: {
    body: {
      content: {
        'application/json': {
          schema: z
            .object({
              code: z.string().regex(/^[a-z0-9][a-z0-9_-]{1,39}$/),
              name: z.string().min(1).max(100),
              description: z.string().max(2000).optional(),
              feeMinor: fee,
              termMonths: z.int().min(1).max(36).optional(),
              tierFeesMinor: tierFees.optional(),
            })
            .strict(),
        },
      },
    },
  },
  responses: {
    201: json(PlanSchema, 'Created'),
    ...adminProblems,
    409: problem('A plan with this code exists'),
  },
});

export const updatePlanRoute = createRoute({
  method: 'patch',
  path: '/plans/{code}',
  tags: ['admin'],
  summary: 'Change a plan: name, description, fee, fees by tier, or retire it',
  description:
    'A new fee applies to payments made from now on. A retired plan is no longer offered or sold; members who hold it keep it to the end of their term. tierFeesMinor replaces every tier fee.',
  security,
  request: {
    params: codeParam(40),
    body: {
      content: {
        'application/json': {
          schema: z
            .object({
              name: z.string().min(1).max(100).optional(),
              description: z.string().max(2000).optional(),
              feeMinor: fee.optional(),
              tierFeesMinor: tierFees.optional(),
              status: z.enum(['active', 'retired']).optional(),
            })
            .strict(),
        },
      },
    },
  },
  responses: { 200: json(PlanSchema, 'The plan now'), ...adminProblems },
});

function actorOf(c: Context<StaffEnv>): AuditActor {
  return { kind: 'staff', id: c.get('staff').id };
}

function planJson(plan: PlanView): z.infer<typeof PlanSchema> {
  const { id: _id, ...rest } = plan;
  return rest;
}

async function settings(c: Context<StaffEnv>): Promise<z.infer<typeof SettingsSchema>> {
  const { db } = c.get('services');
  const [membership, points, tiers] = await Promise.all([
    loadMembershipSettings(db),
    counterPolicySettings(db),
    cachedTiers(db),
  ]);
  return { membership, points, tiers };
}

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(getSettingsRoute, async (c) => c.json(await settings(c), 200));
  app.openapi(patchSettingsRoute, async (c) => {
    const body = c.req.valid('json');
    const services = c.get('services');
    if (body.membership) {
      await updateMembershipSettings(services, body.membership, actorOf(c));
    }
    if (body.points) await updateCounterPolicy(services, body.points, actorOf(c));
    return c.json(await settings(c), 200);
  });
  app.openapi(patchTierRoute, async (c) => {
    const tiers = await updateTier(
      c.get('services'),
      c.req.valid('param').code,
      c.req.valid('json'),
      actorOf(c),
    );
    return c.json({ tiers }, 200);
  });
  app.openapi(listPlansRoute, async (c) => {
    const plans = await listPaidPlans(c.get('services').db);
    return c.json({ plans: plans.map(planJson) }, 200);
  });
  app.openapi(createPlanRoute, async (c) => {
    const { db, clock } = c.get('services');
    const plan = await createPaidPlan(db, c.req.valid('json'), {
      actor: actorOf(c),
      at: clock.now(),
    });
    return c.json(planJson(plan), 201);
  });
  app.openapi(updatePlanRoute, async (c) => {
    const { code } = c.req.valid('param');
    const plan = await updatePaidPlan(c.get('services'), {
      code,
      changes: c.req.valid('json'),
      actor: actorOf(c),
    });
    return c.json(planJson(plan), 200);
  });
}
