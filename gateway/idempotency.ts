import type { Context, MiddlewareHandler } from 'hono';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  releaseIdempotencyKey,
  requestHash,
  type StoredResponse,
} from '../partners/index.ts';
import { AppError } from '../platform/index.ts';
import type { PartnerEnv } from './context.ts';
import { pathWithQuery } from './partner-auth.ts';

export const idempotencyHeaderName = 'idempotency-key';
/** Answer headers worth keeping for a replay; the rest are per-response (date, request id). */
const storedHeaderNames = ['content-type', 'hub-receipt', 'location', 'retry-after'];
const keyPattern = /^[\x21-\x7e]{1,255}$/;

function replay(response: StoredResponse): Response {
  return new Response(response.body, {
    status: response.status,
    headers: { ...response.headers, 'idempotent-replayed': 'true' },
  });
}

async function snapshot(res: Response): Promise<StoredResponse> {
  const headers: Record<string, string> = {};
  for (const name of storedHeaderNames) {
    const value = res.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return { status: res.status, headers, body: await res.clone().text() };
}

function requireKey(c: Context<PartnerEnv>): string {
  const key = c.req.header(idempotencyHeaderName);
  if (!key) throw new AppError('idempotency_key_missing');
  if (!keyPattern.test(key)) {
    throw new AppError('validation_failed', 'The Idempotency-Key header is not valid.', {
      fields: [{ field: 'header.idempotency-key', reason: '1 to 255 visible ASCII characters' }],
    });
  }
  return key;
}

/**
 * Every partner POST runs at most once per Idempotency-Key: the first request claims the key,
 * its answer (errors included) is stored and replayed to every retry. A 5xx answer is not
 * stored: the hub failed, nothing it promised applied, and the retry runs again (the ledger's
 * unique idempotency index guards any write that did commit).
 */
export const idempotency: MiddlewareHandler<PartnerEnv> = async (c, next) => {
  if (c.req.method !== 'POST') return next();
  const key = requireKey(c);
  const services = c.get('services');
  const partnerId = c.get('partner').id;
  const claim = await claimIdempotencyKey(services.db, {
    partnerId,
    key,
    requestHash: requestHash(c.req.method, pathWithQuery(c.req.url), c.get('bodyDigest')),
    now: services.clock.now(),
  });
  if (claim.kind === 'replay') return replay(claim.response);
  const held = { partnerId, key, leaseId: claim.leaseId };
  try {
    await next();
  } catch (error) {
    await releaseIdempotencyKey(services.db, held);
    throw error;
  }
  if (c.res.status >= 500) {
    await releaseIdempotencyKey(services.db, held);
    return;
  }
  const stored = await completeIdempotencyKey(services.db, {
    ...held,
    response: await snapshot(c.res),
    now: services.clock.now(),
  });
  if (!stored) c.get('logger').warn({ key }, 'idempotency lease was taken over; answer not stored');
};
