export {
  type AuditActor,
  type AuditQuery,
  type AuditRecord,
  listAudit,
  recordAudit,
} from './audit.ts';
export { type DatabaseCache, databaseCache, forgetCaches } from './cache.ts';
export type { CacheBus } from './cache-bus.ts';
export { type Clock, type ManualClock, manualClock, systemClock } from './clock.ts';
export { joinCluster, runPrimary, type Scrape, scrapeMetrics } from './cluster.ts';
export { type Config, ConfigError, loadConfig } from './config.ts';
export type * from './database.ts';
export type * from './database-members.ts';
export type * from './database-settlement.ts';
export type * from './database-webhooks.ts';
export { type DatabaseHandle, type Db, inTransaction, openDatabase } from './db.ts';
export {
  DatabaseUnavailableError,
  isDatabaseUnavailable,
  isDataException,
  isTransientDbError,
  isUniqueViolation,
  retryOnUniqueViolation,
} from './db-errors.ts';
export {
  AppError,
  type FieldProblem,
  isAppError,
  type ProblemType,
  problemTypes,
} from './errors.ts';
export {
  claimPendingEvents,
  deleteDispatchedEvents,
  type EventType,
  eventTypeNames,
  eventTypes,
  markEventsDispatched,
  type NewEvent,
  recordEvent,
  recordEvents,
  type StoredEvent,
} from './events.ts';
export {
  createHubSigner,
  type HubSigner,
  hubJwks,
  retireHubKey,
  rotateHubKey,
} from './hub-keys.ts';
export { isUuid, newId } from './ids.ts';
export {
  enqueueJob,
  type JobDefinition,
  JobTimeoutError,
  jobContext,
  type RunningWorkers,
  startWorkers,
  type WorkerOptions,
} from './jobs.ts';
export { type JwsAlgorithm, signCompactJws, verifyCompactJws } from './jws.ts';
export { killPoint } from './kill-points.ts';
export {
  blockedForMs,
  countFailures,
  enforceLimits,
  type FailureOptions,
  failedRecently,
  gcraArgs,
  gcraTakeLua,
  giveBackLimits,
  guardFailures,
  type Limit,
  type LimitDecision,
  type LimiterDeps,
  type LimitPolicy,
  limitAttempt,
  limitKey,
  limitPolicy,
  lookUpCountingMisses,
  rateLimited,
  refuseIfBlocked,
  takeLimits,
} from './limiter.ts';
export { createLogger, type Logger } from './logger.ts';
export {
  dbPool,
  httpDuration,
  httpRequests,
  jobDuration,
  jobFailures,
  metricsRegistry,
  signatureRefusals,
  watchQueue,
  watchWriter,
  writerBatchSize,
  writerCommitSeconds,
} from './metrics.ts';
export {
  MigrationError,
  migrateDownOne,
  migrateToLatest,
  pendingMigrations,
} from './migrations.ts';
export {
  assertAmount,
  formatMinor,
  MoneyError,
  multiplyFloor,
  multiplyHalfEven,
  parseRatio,
  type Ratio,
  sumAmounts,
} from './money.ts';
export { queuePrefix, redisKey } from './queues.ts';
export { connectRedis, isRedisUnavailable, openRedis } from './redis.ts';
export {
  checkReadiness,
  openServices,
  type Readiness,
  type Services,
  StartupError,
} from './services.ts';
export {
  forbiddenCharAt,
  isAcceptableText,
  isStorableTime,
  textRule,
} from './storable.ts';
