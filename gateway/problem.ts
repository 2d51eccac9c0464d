import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ZodError } from 'zod';
import type { StoredResponse } from '../partners/index.ts';
import {
  AppError,
  type FieldProblem,
  isAppError,
  isDatabaseUnavailable,
  isRedisUnavailable,
  type Logger,
  MoneyError,
  type ProblemType,
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
 * The problem for a 4xx the framework raised itself (Hono's HTTPException: malformed JSON,
 * an unsupported media type, a body over a limit), so that a client's mistake is never an
 * `internal`. A status without a type of its own is bad input.
 */
const problemForStatus: Partial<Record<number, ProblemType>> = {
  400: 'validation_failed',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

function isClientError(error: unknown): error is HTTPException {
  return error instanceof HTTPException && error.status >= 400 && error.status < 500;
}

function fromClientError(error: HTTPException): AppError {
  const type = problemForStatus[error.status] ?? 'validation_failed';
  const fields = type === 'validation_failed' ? [{ field: '(body)', reason: error.message }] : [];
  return new AppError(type, error.message, { fields });
}

/**
 * Any error as the problem a caller is told: known errors keep their type, an amount out of
 * range is bad input, the framework's own 4xx keep their meaning, PostgreSQL or Redis out of
 * reach is `unavailable` (503: retry later), everything else is logged and becomes `internal`.
 */
export function asAppError(
  error: unknown,
  logger: Logger | undefined,
  context: Record<string, unknown> = {},
): AppError {
  if (isAppError(error)) return error;
  if (error instanceof MoneyError) return new AppError('validation_failed', error.message);
  if (isClientError(error)) return fromClientError(error);
  if (isDatabaseUnavailable(error) || isRedisUnavailable(error)) {
    logger?.warn({ ...context, err: error }, 'dependency unavailable');
    const detail = 'The hub cannot reach its database or Redis; retry shortly.';
    return new AppError('unavailable', detail, { retryAfterSeconds: 1 });
  }
  logger?.error({ ...context, err: error }, 'unhandled error');
  return new AppError('internal', 'The hub could not complete the request.');
}

/** The one error handler. */
export function onError<E extends HubEnv>(error: Error, c: Context<E>): Response {
  return problemResponse(c, asAppError(error, c.get('logger')));
}
