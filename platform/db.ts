import { Kysely } from 'kysely';
import { PostgresJSDialect } from 'kysely-postgres-js';
import postgres from 'postgres';
import type { Database } from './database.ts';

export type Db = Kysely<Database>;

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
    idle_timeout: 30,
    connect_timeout: 10,
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
  const db = new Kysely<Database>({ dialect: new PostgresJSDialect({ postgres: sql }) });
  return {
    db,
    sql,
    close: async () => {
      await db.destroy();
    },
  };
}
