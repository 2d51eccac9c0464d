import postgres from 'postgres';
import { inject } from 'vitest';
import {
  type Clock,
  type Config,
  loadConfig,
  newId,
  openServices,
  type Services,
} from '../../platform/index.ts';
import { databaseUrlFor, loadServicesEnv } from './env.ts';

export type TestHub = {
  services: Services;
  config: Config;
  /** Drops the database and the Redis keys this hub used. */
  close(): Promise<void>;
};

/**
 * A hub of its own for one test file: a fresh database cloned from the migrated template and
 * a Redis key prefix nobody else uses. Real PostgreSQL, real Redis.
 */
export async function createTestHub(
  options: { clock?: Clock; env?: Record<string, string> } = {},
): Promise<TestHub> {
  loadServicesEnv();
  const base = loadConfig({ ...process.env, NODE_ENV: 'test' });
  const suffix = newId().replaceAll('-', '').slice(-12);
  const database = `${inject('testRunId')}_${suffix}`;
  const admin = postgres(databaseUrlFor(base.databaseUrl, 'postgres'), {
    max: 1,
    onnotice: () => {},
  });
  await admin.unsafe(`CREATE DATABASE ${database} TEMPLATE ${inject('templateDatabase')}`);
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: databaseUrlFor(base.databaseUrl, database),
    REDIS_KEY_PREFIX: `t-${suffix}`,
    PORT: '0',
    ...options.env,
  });
  const services = await openServices(config, { clock: options.clock });
  return {
    services,
    config,
    close: async () => {
      await deleteKeys(services, config.redisKeyPrefix);
      await services.close();
      await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    },
  };
}

async function deleteKeys(services: Services, prefix: string): Promise<void> {
  for (const pattern of [`${prefix}:*`, `{${prefix}}:*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await services.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      if (keys.length > 0) await services.redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
}
