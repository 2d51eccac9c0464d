import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  type DatabaseHandle,
  DatabaseUnavailableError,
  isDatabaseUnavailable,
  newId,
  openDatabase,
} from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { settled, waitFor, within } from '../support/wait.ts';

/**
 * The pool under connections that close while work waits on them: PostgreSQL terminating a
 * backend (a restart, a failover, an administrator) is the same event, for the pool, as the
 * idle timeout closing a connection at the moment a request asks for one.
 */

let hub: TestHub;
let handle: DatabaseHandle | undefined;

beforeAll(async () => {
  hub = await createTestHub();
  await sql`CREATE TABLE pool_probe (id integer PRIMARY KEY)`.execute(hub.services.db);
});
afterEach(async () => {
  await handle?.close();
  handle = undefined;
});
afterAll(async () => {
  await hub.close();
});

/** A pool of one connection, named so that the test can find its backend. */
function poolOfOne(): { handle: DatabaseHandle; appName: string } {
  const appName = `pool-test-${newId().slice(-8)}`;
  handle = openDatabase(hub.config.databaseUrl, { poolMax: 1, appName });
  return { handle, appName };
}

/** The backend of the pool named appName once it is in `state`, running `query` if given. */
async function backendPid(appName: string, state: string, query = '%'): Promise<number> {
  return waitFor(`a backend of ${appName} in state "${state}"`, async () => {
    const rows = await hub.services.sql<{ pid: number }[]>`
      SELECT pid FROM pg_stat_activity
      WHERE application_name = ${appName} AND state = ${state} AND query LIKE ${query}`;
    return rows[0]?.pid;
  });
}

async function terminate(pid: number): Promise<void> {
  await hub.services.sql`SELECT pg_terminate_backend(${pid})`;
  await waitFor('the backend to be gone', async () => {
    const rows = await hub.services.sql`SELECT 1 FROM pg_stat_activity WHERE pid = ${pid}`;
    return rows.length === 0;
  });
}

/** Lets every promise chain that needs no I/O run: a query issued before this is queued. */
function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function probeIds(): Promise<number[]> {
  const { rows } = await sql<{ id: number }>`SELECT id FROM pool_probe ORDER BY id`.execute(
    hub.services.db,
  );
  return rows.map((r) => r.id);
}

it('a query waiting for the only connection runs when that connection is terminated under it', async () => {
  const { handle, appName } = poolOfOne();
  let finish = () => {};
  const holding = settled(
    handle.db.transaction().execute(async (tx) => {
      await sql`SELECT 1`.execute(tx);
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
    }),
  );
  const pid = await backendPid(appName, 'idle in transaction');
  const waiting = sql<{ n: number }>`SELECT 2 AS n`.execute(handle.db);
  await drainMicrotasks();

  await terminate(pid);
  finish();

  const { rows } = await within('the waiting query', waiting);
  expect(rows).toEqual([{ n: 2 }]);
  // The transaction lost its connection: it fails, it does not report a commit.
  expect(await within('the terminated transaction', holding)).toHaveProperty('error');
  // And the pool goes on serving.
  expect((await sql<{ n: number }>`SELECT 3 AS n`.execute(handle.db)).rows).toEqual([{ n: 3 }]);
});

it.each([
  ['while another query waits for the connection', true],
  ['with nothing else waiting', false],
])(
  'a transaction whose connection is terminated commits nothing of itself (%s)',
  async (_, withWaiter) => {
    const { handle, appName } = poolOfOne();
    const first = 100 + Number(withWaiter);
    let resume = () => {};
    const transaction = settled(
      handle.db.transaction().execute(async (tx) => {
        await sql`INSERT INTO pool_probe (id) VALUES (${first})`.execute(tx);
        await new Promise<void>((resolve) => {
          resume = resolve;
        });
        // Had this been sent on a new session, it would commit alone, outside the transaction.
        await sql`INSERT INTO pool_probe (id) VALUES (${first + 10})`.execute(tx);
      }),
    );
    const pid = await backendPid(appName, 'idle in transaction');
    // The waiter must settle, never be stranded; it may fail once with the dead session's error
    // (postgres.js hands it to the reconnect's first statement: one more 503 for a caller).
    const waiting = withWaiter ? settled(sql`SELECT 1`.execute(handle.db)) : undefined;
    await drainMicrotasks();

    await terminate(pid);
    resume();

    expect(await within('the terminated transaction', transaction)).toHaveProperty('error');
    if (waiting) await within('the waiting query', waiting);
    expect(await probeIds()).toEqual([]);
  },
);

it('a statement cut off by a terminated backend fails as "database unavailable", and the pool goes on', async () => {
  const { handle, appName } = poolOfOne();
  const running = settled(sql`SELECT pg_sleep(30)`.execute(handle.db));
  // Not while the new connection fetches its array types: postgres.js leaves that failure
  // unhandled (the pool stops fetching them once a statement has run).
  await terminate(await backendPid(appName, 'active', 'SELECT pg_sleep%'));

  const outcome = await within('the terminated statement', running);
  expect('error' in outcome && isDatabaseUnavailable(outcome.error)).toBe(true);
  // postgres.js may fail the reconnect's first statement with the error it kept from the dead
  // session (57P01 again): one more 503 for a caller, then the pool serves again.
  const rows = await waitFor('the pool to serve again', async () => {
    return (await sql<{ n: number }>`SELECT 4 AS n`.execute(handle.db)).rows;
  });
  expect(rows).toEqual([{ n: 4 }]);
});

it('while the database cannot be reached, statements fail at once, one probing for its return', async () => {
  const unreachable = new URL(hub.config.databaseUrl);
  unreachable.port = '1';
  handle = openDatabase(unreachable.toString(), { poolMax: 4 });
  const db = handle.db;
  const first = await settled(sql`SELECT 1`.execute(db));
  expect('error' in first && isDatabaseUnavailable(first.error)).toBe(true);

  const startedMs = Date.now();
  const outcomes = await Promise.all(
    Array.from({ length: 20 }, () => settled(sql`SELECT 1`.execute(db))),
  );
  expect(Date.now() - startedMs).toBeLessThan(3_000);
  const errors = outcomes.map((o) => ('error' in o ? o.error : undefined));
  expect(errors.every(isDatabaseUnavailable)).toBe(true);
  const refusedUntried = errors.filter((e) => e instanceof DatabaseUnavailableError);
  expect(refusedUntried.length).toBeGreaterThanOrEqual(19);
});
