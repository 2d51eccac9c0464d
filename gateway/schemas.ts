import { z } from '@hono/zod-openapi';
import { BurnRuleSchema, EarnRuleSchema, SettlementDetailsSchema } from '../partners/index.ts';
import type { Partner, PartnerKey, Store } from '../platform/index.ts';

/** Schemas and views shared by several endpoints; each endpoint file keeps its own input. */

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: '/docs/problems#not_found' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
  })
  .openapi('Problem');

export function problem(description: string) {
  return { description, content: { 'application/problem+json': { schema: ProblemSchema } } };
}

export const problems = {
  400: problem('The input is not valid; `errors` names each field'),
  401: problem('Not authenticated, or the signature is not valid'),
  403: problem('Authenticated but not allowed'),
  404: problem('No such resource (or not yours)'),
  409: problem('Conflicts with the current state, or the same Idempotency-Key is in progress'),
  422: problem('The Idempotency-Key was used with another request, or a business rule'),
  429: problem('Rate limited; see Retry-After'),
} as const;

/** What every admin route about one partner may answer besides its success. */
export const partnerAdminProblems = {
  400: problems[400],
  401: problems[401],
  403: problems[403],
  404: problems[404],
} as const;

export const PartnerIdParam = z.object({
  partnerId: z.uuid().openapi({ param: { name: 'partnerId', in: 'path' } }),
});

export const PartnerSchema = z
  .object({
    id: z.uuid(),
    code: z.string(),
    name: z.string(),
    brand: z.string(),
    status: z.enum(['active', 'suspended']),
    settlement: SettlementDetailsSchema.partial(),
    rateLimitPerMinute: z.number().int().nullable(),
    createdAt: z.string(),
  })
  .openapi('Partner');

export function partnerView(p: Partner): z.infer<typeof PartnerSchema> {
  return {
    id: p.id,
    code: p.code,
    name: p.name,
    brand: p.brand,
    status: p.status,
    settlement: p.settlement_details,
    rateLimitPerMinute: p.rate_limit_per_minute,
    createdAt: p.created_at.toISOString(),
  };
}

export const StoreSchema = z
  .object({ id: z.uuid(), code: z.string(), name: z.string(), createdAt: z.string() })
  .openapi('Store');

export function storeView(s: Store): z.infer<typeof StoreSchema> {
  return { id: s.id, code: s.code, name: s.name, createdAt: s.created_at.toISOString() };
}

export const PartnerKeySchema = z
  .object({
    kid: z.string(),
    alg: z.enum(['EdDSA', 'ES256']),
    status: z.enum(['active', 'revoked']),
    jwk: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .openapi('PartnerKey');

export function partnerKeyView(k: PartnerKey): z.infer<typeof PartnerKeySchema> {
  return {
    kid: k.kid,
    alg: k.alg,
    status: k.status,
    jwk: k.public_jwk,
    createdAt: k.created_at.toISOString(),
    revokedAt: k.revoked_at?.toISOString() ?? null,
  };
}

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

export const PartnerRulesSchema = z
  .object({
    earn: EarnRuleSchema,
    burn: BurnRuleSchema.extend({
      pointValueMinor: z.string().openapi({ description: 'alliance-wide: minor units per point' }),
    }),
    timeZone: z.string().openapi({ description: 'campaign days are dates in this zone' }),
  })
  .openapi('PartnerRules');
