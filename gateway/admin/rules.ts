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
import type { Db, Services, Staff } from '../../platform/index.ts';
import { type AuditNote, audited, auditedBy, auditState } from '../audit.ts';
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
/**
 * An operator replaces a partner's earn rule (the admin API and the operator's page): audited
 * with the rules before and after in the same transaction, then announced to every process.
 */
export async function replaceEarnRule(
  services: Services,
  staff: Staff,
  input: { partnerId: string; rule: EarnRule },
): Promise<PartnerRules> {
  const { partnerId, rule } = input;
  const at = services.clock.now();
  const rules = await auditedBy(services, staff, (tx) =>
    ruleChange(tx, partnerId, 'rule.earn', () => setEarnRule(tx, partnerId, rule, at)),
  );
  // Other hub processes drop their copy of the rules now, not when it expires.
  await announcePartnerChange(services, partnerId);
  services.logger.info({ partnerId }, 'earn rule replaced');
  return rules;
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
    const { partnerId } = c.req.valid('param');
    const rule = c.req.valid('json');
    const at = c.get('services').clock.now();
    const rules = await audited(c, (tx) =>
      ruleChange(tx, partnerId, 'rule.burn', () => setBurnRule(tx, partnerId, rule, at)),
    );
    await announcePartnerChange(c.get('services'), partnerId);
    c.get('logger').info({ partnerId }, 'burn rule replaced');
    return c.json(rules, 200);
  });
}

/** A rule replaced, with the rules in force before and after it for the audit log. */
async function ruleChange(
  tx: Db,
  partnerId: string,
  action: string,
  change: () => Promise<void>,
): Promise<{ result: PartnerRules; audit: AuditNote }> {
  const partner = await getPartner(tx, partnerId);
  const before = await getPartnerRules(tx, partner.id);
  await change();
  const after = await getPartnerRules(tx, partner.id);
  return {
    result: after,
    audit: { action, subject: partner.id, before: auditState(before), after: auditState(after) },
  };
}
