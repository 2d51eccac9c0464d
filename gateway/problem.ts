import type { Context } from 'hono';
import type { ZodError } from 'zod';
import type { StoredResponse } from '../partners/index.ts';
import {
  AppError,
  type FieldProblem,
  isAppError,
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

/** An AppError as RFC 9457 problem+json, with the request id: status, headers and body text. */
export function problemParts<E extends HubEnv>(c: Context<E>, error: AppError): StoredResponse {
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
  return { status: error.status, headers, body: JSON.stringify(body) };
}

export function problemResponse<E extends HubEnv>(c: Context<E>, error: AppError): Response {
  const { status, headers, body } = problemParts(c, error);
  return new Response(body, { status, headers });
}

/**
 * Any error as the problem a caller is told: known errors keep their type, an amount out of
 * range is bad input, everything else is logged and becomes `internal`.
 */
export function asAppError(
  error: unknown,
  logger: Logger | undefined,
  context: Record<string, unknown> = {},
): AppError {
  if (isAppError(error)) return error;
  if (error instanceof MoneyError) return new AppError('validation_failed', error.message);
  logger?.error({ ...context, err: error }, 'unhandled error');
  return new AppError('internal', 'The hub could not complete the request.');
}

/** The one error handler. */
export function onError<E extends HubEnv>(error: Error, c: Context<E>): Response {
  return problemResponse(c, asAppError(error, c.get('logger')));
}
