import type { Context, MiddlewareHandler } from 'hono';
import type { TillRequestKey } from '../counter/index.ts';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  type KeptAnswer,
  releaseIdempotencyKey,
  requestHash,
  type StoredResponse,
} from '../partners/index.ts';
import { AppError } from '../platform/index.ts';
import type { PartnerEnv } from './context.ts';
import { problemParts } from './problem.ts';
import { receiptHeaders } from './receipts.ts';

export const idempotencyHeaderName = 'idempotency-key';
/** Answer headers worth keeping for a replay; the rest are per-response (date, request id). */
const storedHeaderNames = ['content-type', 'hub-receipt', 'location', 'retry-after'];
const keyPattern = /^[\x21-\x7e]{1,255}$/;

function replay(response: StoredResponse, extra: Record<string, string> = {}): Response {
  return new Response(response.body, {
    status: response.status,
    headers: { ...response.headers, ...extra, 'idempotent-replayed': 'true' },
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
 * Every partner POST carries an Idempotency-Key. This checks it and puts the key, with the
 * digest that makes two requests "the same request" (method, path with query, body digest),
 * on the context; what is done with it depends on the route: the till's use cases keep their
 * answer in their own transaction (tillKey), the others go through `leaseIdempotency`.
 */
export const idempotencyKeyHeader: MiddlewareHandler<PartnerEnv> = async (c, next) => {
  if (c.req.method === 'POST') {
    c.set('idempotency', {
      key: requireKey(c),
      requestHash: requestHash(c.req.method, c.get('target'), c.get('bodyDigest')),
    });
  }
  await next();
};

/**
 * The request's key as a till use case takes it: it reads the answer kept for the key and
 * keeps its own in the transaction that does the work, and keeps a refusal as the gateway
 * would send it (problem+json with this request's id).
 */
export function tillKey(c: Context<PartnerEnv>): TillRequestKey | undefined {
  const held = c.get('idempotency');
  if (!held) return undefined;
  return {
    partnerId: c.get('partner').id,
    key: held.key,
    requestHash: held.requestHash,
    refusal: (error) => problemParts(c, error),
  };
}

/**
 * A kept answer sent again, exactly as it was kept; a money-moving answer (200) gets a fresh
 * receipt over the same bytes.
 */
export async function keptResponse(c: Context<PartnerEnv>, kept: KeptAnswer): Promise<Response> {
  const { response } = kept;
  if (response.status !== 200 || !c.get('partner')) return replay(response);
  return replay(response, await receiptHeaders(c, response.body));
}

/**
 * For partner POSTs that are not till use cases: the request runs at most once per key. The
 * first request claims the key, its answer (errors included) is stored and replayed to every
 * retry. A 5xx or 429 answer is not stored: nothing the hub promised applied, and the retry
 * runs again (a transient answer must never be a key's final one).
 */
export const leaseIdempotency: MiddlewareHandler<PartnerEnv> = async (c, next) => {
  const held = c.get('idempotency');
  if (!held) return next();
  const services = c.get('services');
  const partnerId = c.get('partner').id;
  const claim = await claimIdempotencyKey(services.db, {
    partnerId,
    key: held.key,
    requestHash: held.requestHash,
    now: services.clock.now(),
  });
  if (claim.kind === 'replay') return replay(claim.response);
  const lease = { partnerId, key: held.key, leaseId: claim.leaseId };
  try {
    await next();
  } catch (error) {
    await releaseIdempotencyKey(services.db, lease);
    throw error;
  }
  if (c.res.status >= 500 || c.res.status === 429) {
    await releaseIdempotencyKey(services.db, lease);
    return;
  }
  const stored = await completeIdempotencyKey(services.db, {
    ...lease,
    response: await snapshot(c.res),
    now: services.clock.now(),
  });
  if (!stored)
    c.get('logger').warn({ key: held.key }, 'idempotency lease was taken over; answer not stored');
};
