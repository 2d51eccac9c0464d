import type { Context } from 'hono';
import type { ZodError } from 'zod';
import {
  AppError,
  type FieldProblem,
  isAppError,
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

/** The one error handler: known errors keep their type, everything else is a logged 500. */
export function onError(error: Error, c: Context<HubEnv>): Response {
  if (isAppError(error)) return problemResponse(c, error);
  if (error instanceof MoneyError) {
    return problemResponse(c, new AppError('validation_failed', error.message));
  }
  const logger = c.get('logger');
  logger?.error({ err: error }, 'unhandled error');
  return problemResponse(c, new AppError('internal', 'The hub could not complete the request.'));
}
