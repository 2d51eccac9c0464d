import { Kysely } from 'kysely';
import postgres from 'postgres';
import type { Database } from './database.ts';
import { poolDialect } from './db-driver.ts';
import { dbPool } from './metrics.ts';

export type Db = Kysely<Database>;

/**
 * Runs `work` in a transaction: the caller's when `db` is one (the work commits or rolls back
 * with it), else a new one. Lets a use case join an outer transaction, such as the one that
 * writes its audit line.
 */
export async function inTransaction<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

/** int8 (bigint) from PostgreSQL becomes a JS number only when it fits exactly; never rounded. */
function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${text} is beyond exact integers`);
  return n;
}

export type DatabaseHandle = {
  db: Db;
  sql: postgres.Sql;
  close(): Promise<void>;
};

export function openDatabase(
  url: string,
  options: { poolMax?: number; appName?: string } = {},
): DatabaseHandle {
  const sql = postgres(url, {
    max: options.poolMax ?? 10,
    // Idle connections close (the pool does not strand work on a closing connection: see
    // db-driver.ts). A connection attempt gets a few seconds, and attempts after failures
    // back off to at most one a second per connection, so that the hub is back within a
    // second of the database (postgres.js's own backoff grows to 20 s).
    idle_timeout: 30,
    connect_timeout: 3,
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
    onnotice: () => {},
    connection: { application_name: options.appName ?? 'alliance-hub' },
    types: {
      int8: {
        to: 20,
        from: [20],
        serialize: (value: number | bigint) => String(value),
        parse: parseInt8,
      },
    },
  });
  const db = new Kysely<Database>({ dialect: poolDialect(sql) });
  const poolMax = options.poolMax ?? 10;
  dbPool.max += poolMax;
  return {
    db,
    sql,
    close: async () => {
      dbPool.max -= poolMax;
      await db.destroy();
    },
  };
}
