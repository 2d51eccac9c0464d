import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  announcePartnerChange,
  getPartner,
  PublicJwkSchema,
  registerPartnerKey,
} from '../../partners/index.ts';
import { audited, auditState } from '../audit.ts';
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
    const { partnerId } = c.req.valid('param');
    const { jwk } = c.req.valid('json');
    const key = await audited(c, async (tx) => {
      const partner = await getPartner(tx, partnerId);
      const added = await registerPartnerKey(tx, partner.id, jwk);
      const after = auditState(partnerKeyView(added));
      return { result: added, audit: { action: 'key.register', subject: partner.id, after } };
    });
    // The key was added in a transaction: this process's copy is dropped once it committed.
    await announcePartnerChange(c.get('services'), partnerId);
    c.get('logger').info({ partnerId, kid: key.kid }, 'partner key registered');
    return c.json(partnerKeyView(key), 201);
  });
}
