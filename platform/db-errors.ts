/** PostgreSQL's unique_violation, optionally on one named constraint or index. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; constraint_name?: unknown };
  if (e.code !== '23505') return false;
  return constraint === undefined || e.constraint_name === constraint;
}

/** Runs fn again when it lost a race on a unique index (at most `attempts` times in all). */
export async function retryOnUniqueViolation<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (i >= attempts || !isUniqueViolation(error)) throw error;
    }
  }
}

/** The code of the error the pool answers with at once while the database is known down. */
const outageCode = 'DATABASE_UNAVAILABLE';

/** Refused without trying: the last attempts to reach the database failed (db-driver.ts). */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
  readonly code = outageCode;
}

/** A session that existed is gone: the statement on it may or may not have run. */
const sessionEndedCodes = new Set([
  'CONNECTION_CLOSED', // postgres.js: the socket closed under the statement
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'ECONNRESET',
  'EPIPE',
  '57P01', // admin_shutdown: the backend was terminated
  '57P02', // crash_shutdown
  '57P05', // idle_session_timeout
]);

/** No session could be had: nothing was sent. */
const cannotConnectCodes = new Set([
  outageCode,
  'CONNECT_TIMEOUT', // postgres.js
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '53300', // too_many_connections
  '57P03', // cannot_connect_now: starting up or shutting down
  '57P04', // database_dropped
]);

type CodedError = { code?: unknown; severity?: unknown };

function codeOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null && (error as CodedError).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * True when the database could not be reached: a connection refused or timed out, or
 * PostgreSQL refusing the session with a FATAL error (starting up, not accepting connections
 * to this database, too many clients). Class 08 is PostgreSQL's connection exceptions.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnreachable);
  const code = codeOf(error);
  if (code !== undefined && sessionEndedCodes.has(code)) return false;
  if (code !== undefined && (cannotConnectCodes.has(code) || code.startsWith('08'))) return true;
  const severity = (error as CodedError | null)?.severity;
  return severity === 'FATAL' || severity === 'PANIC';
}

/**
 * True when the database could not be reached or the session ended under the statement: the
 * request may succeed if tried again later, so it is answered 503, never 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnavailable);
  const code = codeOf(error);
  return (code !== undefined && sessionEndedCodes.has(code)) || isDatabaseUnreachable(error);
}

/**
 * An error that says nothing about the data written: the database could not be reached or the
 * session ended (isDatabaseUnavailable), it was out of resources, or it asked for the
 * transaction again (deadlock, serialization). The same request may succeed when retried;
 * splitting a batch over it would not help.
 */
export function isTransientDbError(error: unknown): boolean {
  if (isDatabaseUnavailable(error)) return true;
  const code = codeOf(error);
  return code === '40001' || code === '40P01' || (code?.startsWith('53') ?? false);
}

/**
 * PostgreSQL refused a value itself (SQLSTATE class 22: a string it cannot store, a time out of
 * its range, a number too large): the request's data is at fault, not the hub's.
 */
export function isDataException(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && /^22[0-9A-Z]{3}$/.test(code);
}
