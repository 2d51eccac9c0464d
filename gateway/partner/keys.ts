import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  addOwnKey,
  announcePartnerChange,
  listPartnerKeys,
  PublicJwkSchema,
  revokeOwnKey,
} from '../../partners/index.ts';
import type { PartnerEnv } from '../context.ts';
import { leaseIdempotency } from '../idempotency.ts';
import { json, PartnerKeySchema, partnerKeyView, problems } from '../schemas.ts';
import { IdempotencyHeader } from './counter-schemas.ts';

const tags = ['partner: keys'];
const security = [{ partnerSignature: [] }];

const listRoute = createRoute({
  method: 'get',
  path: '/keys',
  tags,
  summary: 'Your signing keys, active and revoked',
  security,
  responses: {
    200: json(z.object({ keys: z.array(PartnerKeySchema) }), 'Every key'),
    401: problems[401],
    403: problems[403],
    429: problems[429],
  },
});

const addRoute = createRoute({
  method: 'post',
  path: '/keys',
  tags,
  summary: 'Add a signing key (the request is signed with one you have)',
  description:
    'The public JWK of a new key pair (OKP/Ed25519 or EC/P-256) with a kid you have not used; it signs from the moment this answers, in every hub process. At most 10 active keys.',
  security,
  middleware: [leaseIdempotency] as const,
  request: {
    headers: IdempotencyHeader,
    body: {
      content: {
        'application/json': {
          schema: z.object({ jwk: PublicJwkSchema.meta({ description: 'A public JWK' }) }).strict(),
        },
      },
    },
  },
  responses: { 201: json(PartnerKeySchema, 'The key, active'), ...problems },
});

const revokeRoute = createRoute({
  method: 'post',
  path: '/keys/{kid}/revoke',
  tags,
  summary: 'Revoke one of your signing keys',
  description:
    'Its signatures are refused from then on, in every hub process within milliseconds (15 s at worst). Your last active key cannot be revoked (409): add its successor first. The key signing this request may revoke itself while another stays active. Revoking a revoked key changes nothing.',
  security,
  middleware: [leaseIdempotency] as const,
  request: {
    headers: IdempotencyHeader,
    params: z.object({
      kid: z
        .string()
        .min(1)
        .max(64)
        .openapi({ param: { name: 'kid', in: 'path' } }),
    }),
  },
  responses: { 200: json(PartnerKeySchema, 'The key, revoked'), ...problems },
});

export function register(app: OpenAPIHono<PartnerEnv>): void {
  app.openapi(listRoute, async (c) => {
    const keys = await listPartnerKeys(c.get('services').db, c.get('partner').id);
    return c.json({ keys: keys.map(partnerKeyView) }, 200);
  });
  app.openapi(addRoute, async (c) => {
    const services = c.get('services');
    const partnerId = c.get('partner').id;
    const key = await addOwnKey(services.db, {
      partnerId,
      jwk: c.req.valid('json').jwk,
      signedWith: c.get('signedWith'),
      at: services.clock.now(),
    });
    await announcePartnerChange(services, partnerId);
    return c.json(partnerKeyView(key), 201);
  });
  app.openapi(revokeRoute, async (c) => {
    const services = c.get('services');
    const partnerId = c.get('partner').id;
    const key = await revokeOwnKey(services.db, {
      partnerId,
      kid: c.req.valid('param').kid,
      signedWith: c.get('signedWith'),
      at: services.clock.now(),
    });
    await announcePartnerChange(services, partnerId);
    c.get('logger').info({ partnerId, kid: key.kid }, 'partner revoked its own key');
    return c.json(partnerKeyView(key), 200);
  });
}
