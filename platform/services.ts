import type { Redis } from 'ioredis';
import type postgres from 'postgres';
import { type CacheBus, openCacheBus } from './cache-bus.ts';
import { type Clock, systemClock } from './clock.ts';
import type { Config } from './config.ts';
import { type Db, openDatabase } from './db.ts';
import { createHubSigner, type HubSigner } from './hub-keys.ts';
import { createLogger, type Logger } from './logger.ts';
import { pendingMigrations } from './migrations.ts';
import { connectRedis, openRedis } from './redis.ts';

/**
 * What every handler and job needs, built once at start-up and passed down explicitly.
 * No container: a plain object.
 */
export type Services = {
  config: Config;
  db: Db;
  sql: postgres.Sql;
  /** Fast-failing connection for the request path (rate limits, codes, nonces). */
  redis: Redis;
  /** Connection for BullMQ (blocking commands, retries forever). */
  queueRedis: Redis;
  logger: Logger;
  clock: Clock;
  /** The hub's signing keys, cached in process: receipts, member sessions, JWKS. */
  hubSigner: HubSigner;
  /** Set once the process has been asked to stop: it finishes its work and takes no more. */
  lifecycle: { draining: boolean };
  /** Tells every hub process that cached settings changed (cache-bus.ts). */
  caches: CacheBus;
  close(): Promise<void>;
};

/** Start-up could not reach a dependency; the message is the one line an operator needs. */
export class StartupError extends Error {
  override name = 'StartupError';
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(malformed URL)';
  }
}

function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reason(error.errors[0]);
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code)
      ? `${code} ${error.message}`
      : error.message;
  }
  return String(error);
}

export async function openServices(
  config: Config,
  options: { clock?: Clock; logger?: Logger } = {},
): Promise<Services> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const database = openDatabase(config.databaseUrl, { poolMax: config.databasePoolMax });
  // Start-up failures are reported once by the caller; after start-up, one line per outage
  // rather than one per reconnect attempt.
  let redisErrorLogged = true;
  const onRedisError = (error: Error) => {
    if (!redisErrorLogged) logger.warn({ err: error }, 'redis connection error');
    redisErrorLogged = true;
  };
  const redis = openRedis(config.redisUrl, 'commands', onRedisError);
  const queueRedis = openRedis(config.redisUrl, 'queues', onRedisError);
  redis.on('ready', () => {
    redisErrorLogged = false;
  });
  let caches: CacheBus | undefined;
  const close = async () => {
    caches?.close();
    redis.disconnect();
    queueRedis.disconnect();
    await database.close();
  };
  try {
    await database.sql`SELECT 1`;
  } catch (error) {
    await close();
    throw new StartupError(
      `cannot reach PostgreSQL at ${redactUrl(config.databaseUrl)}: ${reason(error)}`,
    );
  }
  try {
    await connectRedis(redis);
    await connectRedis(queueRedis);
    redisErrorLogged = false;
  } catch (error) {
    await close();
    throw new StartupError(`cannot reach Redis at ${redactUrl(config.redisUrl)}: ${reason(error)}`);
  }
  caches = openCacheBus(config, redis, logger, onRedisError);
  return {
    config,
    db: database.db,
    sql: database.sql,
    redis,
    queueRedis,
    logger,
    clock: options.clock ?? systemClock,
    hubSigner: createHubSigner(database.db),
    lifecycle: { draining: false },
    caches,
    close,
  };
}

export type Readiness = { ready: boolean; checks: Record<string, 'ok' | string> };

/**
 * Ready means: the process is not draining (SIGTERM: a load balancer should send no more),
 * PostgreSQL and Redis answer, and every migration in the code is applied.
 */
export async function checkReadiness(services: Services): Promise<Readiness> {
  const checks: Record<string, string> = {
    process: services.lifecycle.draining ? 'draining' : 'ok',
  };
  try {
    await services.sql`SELECT 1`;
    const pending = await pendingMigrations(services.db);
    checks.postgres = 'ok';
    checks.migrations = pending.length === 0 ? 'ok' : `pending: ${pending.join(', ')}`;
  } catch (error) {
    checks.postgres = reason(error);
    checks.migrations = 'unknown';
  }
  try {
    checks.redis = (await services.redis.ping()) === 'PONG' ? 'ok' : 'unexpected answer';
  } catch (error) {
    checks.redis = reason(error);
  }
  return { ready: Object.values(checks).every((c) => c === 'ok'), checks };
}
