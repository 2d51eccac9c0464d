import type { MiddlewareHandler } from 'hono';
import { bodyDigest, verifyPartnerRequest } from '../partners/index.ts';
import { limitSignatureChecks } from './auth-limits.ts';
import type { PartnerEnv } from './context.ts';

export function pathWithQuery(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

/**
 * Every /v1/partner/* request: the body is read once (bounded by the app's body limit for
 * /v1/partner, gateway/body.ts, before this runs), its digest and the signature are checked
 * (docs/signing.md), the nonce and the partner's rate limit taken, and the verified partner is
 * put on the context. Failed signatures are limited per client address and per claimed partner
 * (gateway/auth-limits.ts).
 */
const verifySignature: MiddlewareHandler<PartnerEnv> = async (c, next) => {
  const digest = bodyDigest(new Uint8Array(await c.req.arrayBuffer()));
  const target = pathWithQuery(c.req.url);
  const partner = await limitSignatureChecks(c, () =>
    verifyPartnerRequest(c.get('services'), {
      method: c.req.method,
      pathWithQuery: target,
      headers: (name) => c.req.header(name),
      bodyDigest: digest,
    }),
  );
  c.set('partner', partner);
  c.set('bodyDigest', digest);
  c.set('target', target);
  c.set('logger', c.get('logger').child({ partnerId: partner.id }));
  await next();
};

export const partnerAuth: MiddlewareHandler<PartnerEnv>[] = [verifySignature];
