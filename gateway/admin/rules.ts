import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import {
  announcePartnerChange,
  BurnRuleSchema,
  EarnRuleSchema,
  getPartner,
  getPartnerRules,
  setBurnRule,
  setEarnRule,
} from '../../partners/index.ts';
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

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(getRoute, async (c) => {
    const db = c.get('services').db;
    const partner = await getPartner(db, c.req.valid('param').partnerId);
    return c.json(await getPartnerRules(db, partner.id), 200);
  });
  app.openapi(putEarnRoute, async (c) => {
    const { db, clock } = c.get('services');
    const partner = await getPartner(db, c.req.valid('param').partnerId);
    await setEarnRule(db, partner.id, c.req.valid('json'), clock.now());
    // Other hub processes drop their copy of the rules now, not when it expires.
    await announcePartnerChange(c.get('services'), partner.id);
    c.get('logger').info({ partnerId: partner.id }, 'earn rule replaced');
    return c.json(await getPartnerRules(db, partner.id), 200);
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
