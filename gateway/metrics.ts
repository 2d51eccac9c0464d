import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { Context, MiddlewareHandler } from 'hono';
import { Hono } from 'hono';
import { routePath } from 'hono/route';
import { AppError, httpDuration, httpRequests } from '../platform/index.ts';
import { socketAddress } from './client-address.ts';
import type { HubEnv } from './context.ts';
import { liveMetricsHeaders, liveMetricsPage } from './pages/live-metrics.ts';
import { problemResponse } from './problem.ts';

/**
 * Counts every answer by method, the route's pattern (never the raw path: ids in paths would
 * make a series per order) and status, with its latency. Requests no route matched count as
 * `unmatched`. At LOG_LEVEL=debug each answer is also a log line, under the request's logger
 * (its request id, and the partner or member once authenticated).
 */
export const observeRequests: MiddlewareHandler<HubEnv> = async (c, next) => {
  const endTimer = httpDuration.startTimer();
  const started = performance.now();
  await next();
  const pattern = routePath(c, -1);
  const labels = {
    method: c.req.method,
    route: pattern === '' || pattern.endsWith('*') ? 'unmatched' : pattern,
    status: String(c.res.status),
  };
  httpRequests.inc(labels);
  endTimer(labels);
  const ms = Math.round(performance.now() - started);
  c.get('logger')?.debug({ ...labels, ms }, 'request answered');
};

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  if (address === '::1') return true;
  const v4 = address.replace(/^::ffff:/i, '');
  return isIP(v4) === 4 && v4.startsWith('127.');
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Who may read the metrics: a caller on this machine's loopback when no reverse proxy stands
 * in front of the hub (TRUST_PROXY_HOPS=0: behind a local proxy every caller would look local),
 * or anyone presenting METRICS_TOKEN as a bearer token. Metrics show traffic and partners'
 * error rates, not money or secrets, but they are the operator's, not the public's.
 */
export function mayReadMetrics(c: Context<HubEnv>): boolean {
  const { metricsToken, trustProxyHops } = c.get('services').config;
  const bearer = /^Bearer (\S+)$/.exec(c.req.header('authorization') ?? '')?.[1];
  if (metricsToken && bearer) return sameToken(bearer, metricsToken);
  return trustProxyHops === 0 && isLoopback(socketAddress(c));
}

/**
 * GET /metrics (Prometheus text) and /live (the headline figures, for the demo). The page
 * itself holds nothing; the figures it shows come from /metrics, under its rule.
 */
export function metricsRoutes(scrape: () => Promise<{ body: string; contentType: string }>) {
  const app = new Hono<HubEnv>();
  app.use('/metrics', async (c, next) => {
    if (!mayReadMetrics(c))
      return problemResponse(
        c,
        new AppError('forbidden', 'Metrics are for loopback callers or the METRICS_TOKEN bearer.'),
      );
    await next();
  });
  app.get('/metrics', async (c) => {
    const { body, contentType } = await scrape();
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
  });
  app.get('/live', (c) => {
    const { nonce, headers } = liveMetricsHeaders();
    return c.html(liveMetricsPage(nonce), 200, headers);
  });
  return app;
}
