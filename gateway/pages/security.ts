import { randomBytes } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { PageEnv } from './session.ts';

/**
 * Headers of every page. The Content-Security-Policy allows only this origin's stylesheet and
 * scripts carrying this response's nonce (the pay code's countdown, the rule preview): an
 * injected <script> or inline handler never runs, and no page may be framed. Pages are never
 * cached: they show one person's data.
 */
export const pageHeaders: MiddlewareHandler<PageEnv> = async (c, next) => {
  const nonce = randomBytes(16).toString('base64');
  c.set('nonce', nonce);
  await next();
  const policy = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
  c.header('content-security-policy', policy);
  c.header('x-content-type-options', 'nosniff');
  c.header('referrer-policy', 'same-origin');
  c.header('x-frame-options', 'DENY');
  if (!c.res.headers.has('cache-control')) c.header('cache-control', 'no-store');
};
