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

// Connection (08), refused credentials (28) or database (3D), rollback asked (40), resources (53),
// operator intervention such as a shutdown (57), system errors (58).
const transientSqlStates = new Set(['08', '28', '3D', '40', '53', '57', '58']);
const transientDriverCodes = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
]);

/**
 * An error that says nothing about the data written: the database could not be reached or
 * refused the connection, was overloaded or shutting down, or asked for the transaction again
 * (deadlock, serialization). The same request may succeed when retried; splitting a batch over
 * it would not help.
 */
export function isTransientDbError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  if (transientDriverCodes.has(code)) return true;
  return /^[0-9A-Z]{5}$/.test(code) && transientSqlStates.has(code.slice(0, 2));
}

/**
 * PostgreSQL refused a value itself (SQLSTATE class 22: a string it cannot store, a time out of
 * its range, a number too large): the request's data is at fault, not the hub's.
 */
export function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}
