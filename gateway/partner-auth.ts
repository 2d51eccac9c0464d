import type { Context, MiddlewareHandler } from 'hono';
import { bodyDigest, signingKid, verifyPartnerRequest } from '../partners/index.ts';
import { isAppError, signatureRefusals } from '../platform/index.ts';
import { limitSignatureChecks } from './auth-limits.ts';
import type { PartnerEnv } from './context.ts';

export function pathWithQuery(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

/**
 * The request target exactly as it arrived on the request line: what the partner signed
 * (docs/signing.md). The URL Hono routes on is rebuilt with `new URL`, which percent-encodes
 * quotes and brackets in the query, drops an empty `?` and resolves dot segments, so the
 * signature and the idempotency hash are taken over the node request's own `url` instead.
 * (Node's parser already refuses a request line with bytes outside visible ASCII, so the
 * target is ASCII.) A request with no socket, as tests make with app.request, has no request
 * line: its URL's path and query stand in for it.
 */
export function requestTarget(c: Context<PartnerEnv>): string {
  const env: unknown = c.env;
  if (typeof env === 'object' && env !== null && 'incoming' in env) {
    const incoming: unknown = env.incoming;
    if (typeof incoming === 'object' && incoming !== null && 'url' in incoming) {
      if (typeof incoming.url === 'string' && incoming.url.length > 0) return incoming.url;
    }
  }
  return pathWithQuery(c.req.url);
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
  const target = requestTarget(c);
  const partner = await limitSignatureChecks(c, () =>
    verifyPartnerRequest(c.get('services'), {
      method: c.req.method,
      pathWithQuery: target,
      headers: (name) => c.req.header(name),
      bodyDigest: digest,
    }),
  ).catch((error: unknown) => {
    signatureRefusals.inc({ reason: refusalReason(error) });
    throw error;
  });
  c.set('partner', partner);
  c.set('bodyDigest', digest);
  c.set('target', target);
  c.set('signedWith', signingKid(c.req.header('hub-signature') ?? ''));
  c.set('logger', c.get('logger').child({ partnerId: partner.id }));
  await next();
};

/**
 * Why a signed request was refused, as a short closed label for the metrics: what an operator
 * tells apart (a partner with a wrong clock, a revoked key, a replay, someone forging).
 */
function refusalReason(error: unknown): string {
  if (!isAppError(error)) return 'error';
  if (error.type === 'unauthenticated') return 'headers_missing';
  if (error.type === 'rate_limited') return 'rate_limited';
  if (error.type === 'forbidden') return 'partner_suspended';
  if (error.type === 'unavailable') return 'unavailable';
  if (error.type !== 'signature_invalid') return error.type;
  const reasons: Array<[RegExp, string]> = [
    [/Timestamp is more than/, 'timestamp_skew'],
    [/Unknown or revoked key/, 'unknown_key'],
    [/already used/, 'replayed_nonce'],
    [/does not match/, 'bad_signature'],
  ];
  return reasons.find(([pattern]) => pattern.test(error.message))?.[1] ?? 'malformed';
}

export const partnerAuth: MiddlewareHandler<PartnerEnv>[] = [verifySignature];
