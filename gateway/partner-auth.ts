import type { MiddlewareHandler } from 'hono';
import { bodyDigest, takeRateLimit, verifyPartnerRequest } from '../partners/index.ts';
import type { PartnerEnv } from './context.ts';

export function pathWithQuery(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

/**
 * Every /v1/partner/* request: the body is read once (bounded by the app's body limit for
 * /v1/partner, gateway/body.ts, before this runs), its digest and the signature
 * are checked (docs/signing.md), and the verified partner is put on the context.
 */
const verifySignature: MiddlewareHandler<PartnerEnv> = async (c, next) => {
  const digest = bodyDigest(new Uint8Array(await c.req.arrayBuffer()));
  const partner = await verifyPartnerRequest(c.get('services'), {
    method: c.req.method,
    pathWithQuery: pathWithQuery(c.req.url),
    headers: (name) => c.req.header(name),
    bodyDigest: digest,
  });
  c.set('partner', partner);
  c.set('bodyDigest', digest);
  c.set('logger', c.get('logger').child({ partnerId: partner.id }));
  await next();
};

/** After the signature, so that only a partner's own requests count against its limit. */
const rateLimit: MiddlewareHandler<PartnerEnv> = async (c, next) => {
  const partner = c.get('partner');
  await takeRateLimit(c.get('services'), partner.id, partner.rateLimitPerMinute);
  await next();
};

export const partnerAuth: MiddlewareHandler<PartnerEnv>[] = [verifySignature, rateLimit];
