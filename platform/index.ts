export { type DatabaseCache, databaseCache } from './cache.ts';
export { type Clock, type ManualClock, manualClock, systemClock } from './clock.ts';
export { type Config, ConfigError, loadConfig } from './config.ts';
export type * from './database.ts';
export type * from './database-members.ts';
export type * from './database-settlement.ts';
export { type DatabaseHandle, type Db, openDatabase } from './db.ts';
export {
  DatabaseUnavailableError,
  isDatabaseUnavailable,
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
  createHubSigner,
  type HubSigner,
  hubJwks,
  retireHubKey,
  rotateHubKey,
} from './hub-keys.ts';
export { isUuid, newId } from './ids.ts';
export {
  type JobDefinition,
  JobTimeoutError,
  type RunningWorkers,
  startWorkers,
  type WorkerOptions,
} from './jobs.ts';
export { createLogger, type Logger } from './logger.ts';
export {
  MigrationError,
  migrateDownOne,
  migrateToLatest,
  pendingMigrations,
} from './migrations.ts';
export {
  assertAmount,
  MoneyError,
  multiplyFloor,
  multiplyHalfEven,
  parseRatio,
  type Ratio,
  sumAmounts,
} from './money.ts';
export { queuePrefix, redisKey } from './queues.ts';
export { connectRedis, isRedisUnavailable } from './redis.ts';
export {
  checkReadiness,
  openServices,
  type Readiness,
  type Services,
  StartupError,
} from './services.ts';
