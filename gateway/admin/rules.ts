import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import {
  announcePartnerChange,
  BurnRuleSchema,
  type EarnRule,
  EarnRuleSchema,
  getPartner,
  getPartnerRules,
  type PartnerRules,
  setBurnRule,
  setEarnRule,
} from '../../partners/index.ts';
import { recordAudit, type Services, type Staff } from '../../platform/index.ts';
import type { StaffEnv } from '../context.ts';
import { json, PartnerIdParam, PartnerRulesSchema, partnerAdminProblems } from '../schemas.ts';

/** A partner's earn and burn rules: read both, replace either. */

export const getRoute = createRoute({
  method: 'get',
  path: '/partners/{partnerId}/rules',
  tags: ['admin'],
  summary: 'A partner’s earn and burn rules (defaults where none were set)',
  security: [{ staffToken: [] }],
  request: { params: PartnerIdParam },
  responses: { 200: json(PartnerRulesSchema, 'The rules in force'), ...partnerAdminProblems },
});

export const putEarnRoute = createRoute({
  method: 'put',
  path: '/partners/{partnerId}/rules/earn',
  tags: ['admin'],
  summary: 'Replace a partner’s earn rule',
  description:
    'Rates are exact decimal strings (points per minor unit: "0.01" = 1 point per CNY); points are rounded down once, after multipliers, then capped.',
  security: [{ staffToken: [] }],
  request: {
    params: PartnerIdParam,
    body: { content: { 'application/json': { schema: EarnRuleSchema } } },
  },
  responses: { 200: json(PartnerRulesSchema, 'The rules in force'), ...partnerAdminProblems },
});

export const putBurnRoute = createRoute({
  method: 'put',
  path: '/partners/{partnerId}/rules/burn',
  tags: ['admin'],
  summary: 'Replace a partner’s burn rule (the share of an order points may pay)',
  security: [{ staffToken: [] }],
  request: {
    params: PartnerIdParam,
    body: { content: { 'application/json': { schema: BurnRuleSchema } } },
  },
  responses: { 200: json(PartnerRulesSchema, 'The rules in force'), ...partnerAdminProblems },
});

/**
 * A staff member replaces a partner's earn rule: saved with its audit line in one transaction,
 * then announced so that every hub process drops its copy now. The admin API and the
 * operator's page both come here.
 */
export async function replaceEarnRule(
  services: Services,
  staff: Staff,
  input: { partnerId: string; rule: EarnRule },
): Promise<PartnerRules> {
  const { db, clock } = services;
  const partner = await getPartner(db, input.partnerId);
  const before = await getPartnerRules(db, partner.id);
  const at = clock.now();
  await db.transaction().execute(async (tx) => {
    await setEarnRule(tx, partner.id, input.rule, at);
    await recordAudit(tx, {
      actor: { kind: 'staff', id: staff.id },
      action: 'partner.earn_rule',
      subject: partner.id,
      before: before.earn,
      after: input.rule,
      at,
    });
  });
  await announcePartnerChange(services, partner.id);
  services.logger.info({ partnerId: partner.id }, 'earn rule replaced');
  return getPartnerRules(db, partner.id);
}

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(getRoute, async (c) => {
    const db = c.get('services').db;
    const partner = await getPartner(db, c.req.valid('param').partnerId);
    return c.json(await getPartnerRules(db, partner.id), 200);
  });
  app.openapi(putEarnRoute, async (c) => {
    const input = { partnerId: c.req.valid('param').partnerId, rule: c.req.valid('json') };
    return c.json(await replaceEarnRule(c.get('services'), c.get('staff'), input), 200);
  });
  app.openapi(putBurnRoute, async (c) => {
    const { db, clock } = c.get('services');
    const partner = await getPartner(db, c.req.valid('param').partnerId);
    await setBurnRule(db, partner.id, c.req.valid('json'), clock.now());
    await announcePartnerChange(c.get('services'), partner.id);
    c.get('logger').info({ partnerId: partner.id }, 'burn rule replaced');
    return c.json(await getPartnerRules(db, partner.id), 200);
  });
}
