import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { getPartner, PublicJwkSchema, registerPartnerKey } from '../../partners/index.ts';
import type { StaffEnv } from '../context.ts';
import {
  json,
  PartnerIdParam,
  PartnerKeySchema,
  partnerAdminProblems,
  partnerKeyView,
  problems,
} from '../schemas.ts';

const RegisterKeySchema = z
  .object({
    // .meta, not .openapi: the schema is made in partners/ with plain zod, maybe before
    // @hono/zod-openapi has added .openapi to zod, depending on which module loads first.
    jwk: PublicJwkSchema.meta({
      description:
        'A public JWK: OKP/Ed25519 (signs with EdDSA) or EC/P-256 (signs with ES256), with a kid unique for the partner. Private keys (with "d") are refused.',
      example: {
        kty: 'OKP',
        crv: 'Ed25519',
        x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
        kid: 'pos-2026-11',
      },
    }),
  })
  .strict();

export const route = createRoute({
  method: 'post',
  path: '/partners/{partnerId}/keys',
  tags: ['admin'],
  summary: 'Register a partner’s public signing key',
  description:
    'Several keys may be active at once, for rotation. The hub never holds a private key.',
  security: [{ staffToken: [] }],
  request: {
    params: PartnerIdParam,
    body: { content: { 'application/json': { schema: RegisterKeySchema } } },
  },
  responses: {
    201: json(PartnerKeySchema, 'The key, active'),
    ...partnerAdminProblems,
    409: problems[409],
  },
});

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(route, async (c) => {
    const db = c.get('services').db;
    const partner = await getPartner(db, c.req.valid('param').partnerId);
    const key = await registerPartnerKey(db, partner.id, c.req.valid('json').jwk);
    c.get('logger').info({ partnerId: partner.id, kid: key.kid }, 'partner key registered');
    return c.json(partnerKeyView(key), 201);
  });
}
