import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import type postgres from 'postgres';
import {
  DatabaseUnavailableError,
  isDatabaseUnavailable,
  isDatabaseUnreachable,
} from './db-errors.ts';
import { dbPool } from './metrics.ts';

/**
 * Kysely over postgres.js's own pool, without `reserve()`.
 *
 * postgres.js 3.4.9 strands a queued `reserve()` for good when the connection it waits on
 * closes (porsager/postgres#1195: the waiter is handed to the reconnect and dropped there), and
 * a reserved connection that closes goes on taking statements, which then run on whatever
 * session reconnects, outside the transaction they belonged to. So here:
 * - a statement outside a transaction goes to the pool as a query: a queued query whose
 *   connection closes is run by the reconnect, or rejected, never dropped;
 * - a transaction is a postgres.js `begin()`, which takes its connection with an ordinary
 *   BEGIN query and rejects when that connection closes; once its connection is lost, nothing
 *   more of the transaction is sent (not even ROLLBACK: the server rolled it back when the
 *   session ended, and the same connection object may by then carry someone else's session).
 */
export function poolDialect(sql: postgres.Sql): Dialect {
  return {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new PoolDriver(sql),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  };
}

/** Extended protocol always, prepared statements as kysely-postgres-js used them. */
const queryOptions = { prepare: true, simple: false };

type Statements = postgres.Sql | postgres.TransactionSql;

async function run<R>(
  pool: postgres.Sql,
  statements: Statements,
  query: CompiledQuery,
): Promise<QueryResult<R>> {
  const result = await statements.unsafe(
    query.sql,
    query.parameters as postgres.ParameterOrJSON<never>[],
    queryOptions,
  );
  // A statement has run, so a connection has fetched the array types, and postgres.js keeps
  // them for the whole pool. Connections opened from now on skip the fetch: its failure (the
  // connection closing during it) is a rejection postgres.js leaves unhandled, which ends the
  // process.
  pool.options.fetch_types = false;
  const counted = ['INSERT', 'UPDATE', 'DELETE', 'MERGE'].includes(result.command);
  return {
    rows: Array.from(result) as R[],
    numAffectedRows: counted ? BigInt(result.count) : undefined,
  };
}

/**
 * While the database cannot be reached, work fails at once rather than queueing behind
 * reconnect attempts, each of which may take the whole connect timeout: one call at a time
 * goes through as a probe, and the first that reaches the database ends the outage.
 */
class OutageGate {
  #downSince: number | undefined;
  #probing = false;

  async pass<T>(work: () => Promise<T>): Promise<T> {
    const probe = this.#downSince !== undefined;
    if (probe && this.#probing) {
      const since = new Date(this.#downSince ?? 0).toISOString();
      throw new DatabaseUnavailableError(`PostgreSQL has been unreachable since ${since}`);
    }
    if (probe) this.#probing = true;
    try {
      const result = await work();
      this.#downSince = undefined;
      return result;
    } catch (error) {
      // Any other error came from a session, so the database was reached.
      if (isDatabaseUnreachable(error)) this.#downSince ??= Date.now();
      else this.#downSince = undefined;
      throw error;
    } finally {
      if (probe) this.#probing = false;
    }
  }
}

class PoolDriver implements Driver {
  readonly #sql: postgres.Sql;
  readonly #gate = new OutageGate();

  constructor(sql: postgres.Sql) {
    this.#sql = sql;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new PoolConnection(this.#sql, this.#gate);
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    await asPoolConnection(connection).begin(settings);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await asPoolConnection(connection).end('commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await asPoolConnection(connection).end('rollback');
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    // A transaction Kysely left open (it never does) must not keep its connection.
    await asPoolConnection(connection).end('rollback');
  }

  async destroy(): Promise<void> {
    // Work in flight was finished before (gateway, workers, ledger writer); a connection that
    // died under a statement never reports it finished, so end() is bounded.
    await this.#sql.end({ timeout: 3 });
  }
}

function asPoolConnection(connection: DatabaseConnection): PoolConnection {
  if (connection instanceof PoolConnection) return connection;
  throw new TypeError('not a connection of this driver');
}

/** What Kysely calls a connection: the pool, or one open transaction on it. */
class PoolConnection implements DatabaseConnection {
  readonly #sql: postgres.Sql;
  readonly #gate: OutageGate;
  #transaction: Transaction | undefined;

  constructor(sql: postgres.Sql, gate: OutageGate) {
    this.#sql = sql;
    this.#gate = gate;
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.#transaction) return this.#transaction.execute<R>(query);
    return this.#gate.pass(async () => {
      dbPool.statementsInFlight += 1;
      try {
        return await run<R>(this.#sql, this.#sql, query);
      } finally {
        dbPool.statementsInFlight -= 1;
      }
    });
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize: number) {
    if (this.#transaction) throw new TypeError('streaming inside a transaction is not supported');
    const cursor = this.#sql
      .unsafe(query.sql, query.parameters as postgres.ParameterOrJSON<never>[], queryOptions)
      .cursor(chunkSize);
    for await (const rows of cursor) yield { rows: rows as R[] };
  }

  async begin(settings: TransactionSettings): Promise<void> {
    if (this.#transaction) throw new TypeError('a transaction is already open on this connection');
    const options = beginOptions(settings);
    // Counted from the asking: a transaction waiting for a connection shows as demand.
    dbPool.transactionsOpen += 1;
    try {
      this.#transaction = await this.#gate.pass(() => Transaction.open(this.#sql, options));
    } catch (error) {
      dbPool.transactionsOpen -= 1;
      throw error;
    }
  }

  async end(outcome: 'commit' | 'rollback'): Promise<void> {
    const transaction = this.#transaction;
    this.#transaction = undefined;
    if (transaction) dbPool.transactionsOpen -= 1;
    await transaction?.end(outcome);
  }
}

function beginOptions(settings: TransactionSettings): string {
  return [
    settings.isolationLevel ? `isolation level ${settings.isolationLevel}` : '',
    settings.accessMode ?? '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** Rejects the callback of `begin()` so that postgres.js rolls the transaction back. */
const rollbackRequested = new Error('rollback requested');

/**
 * One postgres.js `begin()` held open while Kysely runs the transaction's statements, then
 * committed or rolled back through the callback's promise.
 */
class Transaction {
  readonly #pool: postgres.Sql;
  readonly #statements: postgres.TransactionSql;
  readonly #finish: (outcome: 'commit' | 'rollback') => void;
  #ended: Promise<unknown> = Promise.resolve();
  /** Why the transaction's connection is gone, once it is. */
  #lost: unknown;

  private constructor(
    pool: postgres.Sql,
    statements: postgres.TransactionSql,
    finish: (outcome: 'commit' | 'rollback') => void,
  ) {
    this.#pool = pool;
    this.#statements = statements;
    this.#finish = finish;
  }

  static open(sql: postgres.Sql, options: string): Promise<Transaction> {
    return new Promise((resolve, reject) => {
      let opened: Transaction | undefined;
      const ended = sql.begin(
        options,
        (statements) =>
          new Promise((commit, rollback) => {
            opened = new Transaction(sql, statements, (outcome) =>
              outcome === 'commit' ? commit(undefined) : rollback(rollbackRequested),
            );
            opened.#watch(ended);
            resolve(opened);
          }),
      );
      // Before the callback ran, BEGIN itself failed; after, #watch has the outcome.
      ended.catch((error: unknown) => {
        if (!opened) reject(error);
      });
    });
  }

  #watch(ended: Promise<unknown>): void {
    this.#ended = ended;
    // begin() rejects as soon as its connection closes, even between statements.
    ended.catch((error: unknown) => {
      if (isDatabaseUnavailable(error)) this.#lost ??= error;
    });
  }

  async execute<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.#lost !== undefined) throw this.#lost;
    try {
      return await run<R>(this.#pool, this.#statements, query);
    } catch (error) {
      if (isDatabaseUnavailable(error)) this.#lost ??= error;
      throw error;
    }
  }

  async end(outcome: 'commit' | 'rollback'): Promise<void> {
    if (this.#lost !== undefined) {
      if (outcome === 'commit') throw this.#lost;
      return;
    }
    this.#finish(outcome);
    if (outcome === 'commit') {
      await this.#ended;
      return;
    }
    // A failed rollback leaves nothing to do: the session that held the transaction is gone.
    await this.#ended.catch(() => {});
  }
}
