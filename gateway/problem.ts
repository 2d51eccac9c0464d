import type { Context } from 'hono';
import type { ZodError } from 'zod';
import {
  AppError,
  type FieldProblem,
  isAppError,
  isDatabaseUnavailable,
  isRedisUnavailable,
  type Logger,
  MoneyError,
  problemTypes,
} from '../platform/index.ts';
import type { HubEnv } from './context.ts';

/** Where each problem `type` is documented; stable, so clients may link to it. */
export function problemTypeUri(type: string): string {
  return `/docs/problems#${type}`;
}

export function fieldsFromZod(error: ZodError, target?: string): FieldProblem[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const field = [target === 'json' ? '' : target, path].filter(Boolean).join('.') || '(body)';
    return { field, reason: issue.message };
  });
}

/** Renders an AppError as RFC 9457 problem+json, with the request id. */
export function problemResponse(c: Context<HubEnv>, error: AppError): Response {
  const body: Record<string, unknown> = {
    type: problemTypeUri(error.type),
    title: problemTypes[error.type].title,
    status: error.status,
    detail: error.message,
    instance: c.req.path,
    requestId: c.get('requestId'),
    ...error.extra,
  };
  if (error.fields.length > 0) body.errors = error.fields;
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (error.retryAfterSeconds !== undefined)
    headers['retry-after'] = String(error.retryAfterSeconds);
  return new Response(JSON.stringify(body), { status: error.status, headers });
}

/**
 * Any error as the problem a caller is told: known errors keep their type, an amount out of
 * range is bad input, PostgreSQL or Redis out of reach is `unavailable` (503: retry later),
 * everything else is logged and becomes `internal`.
 */
export function asAppError(
  error: unknown,
  logger: Logger | undefined,
  context: Record<string, unknown> = {},
): AppError {
  if (isAppError(error)) return error;
  if (error instanceof MoneyError) return new AppError('validation_failed', error.message);
  if (isDatabaseUnavailable(error) || isRedisUnavailable(error)) {
    logger?.warn({ ...context, err: error }, 'dependency unavailable');
    const detail = 'The hub cannot reach its database or Redis; retry shortly.';
    return new AppError('unavailable', detail, { retryAfterSeconds: 1 });
  }
  logger?.error({ ...context, err: error }, 'unhandled error');
  return new AppError('internal', 'The hub could not complete the request.');
}

/** The one error handler. */
export function onError(error: Error, c: Context<HubEnv>): Response {
  return problemResponse(c, asAppError(error, c.get('logger')));
}
