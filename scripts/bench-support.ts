/** What the ledger benchmarks share: a database of their own, the parties, the machine's load. */
import { createServer } from 'node:net';
import os from 'node:os';
import postgres from 'postgres';
import { type Ledger, memberPointsKey, partnerPointsKey } from '../ledger/index.ts';
import {
  type DatabaseHandle,
  loadConfig,
  migrateToLatest,
  newId,
  openDatabase,
} from '../platform/index.ts';

export const benchMembers = 100_000;
export const benchPartners = 50;

/** Busy and idle CPU time of the whole machine: other work on it shows in the figures. */
export function machineCpu(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const c of os.cpus()) {
    idle += c.times.idle;
    total += c.times.user + c.times.nice + c.times.sys + c.times.idle + c.times.irq;
  }
  return { idle, total };
}

/** The share of the machine's CPU time that was busy since `before`. */
export function busySince(before: { idle: number; total: number }): number {
  const now = machineCpu();
  return 1 - (now.idle - before.idle) / (now.total - before.total || 1);
}

/** p50 and p99 of latencies in milliseconds, as the benches print them. */
export function latencySummary(latencies: number[]): string {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
  return `p50 ${at(0.5).toFixed(1)} ms  p99 ${at(0.99).toFixed(1)} ms`;
}

export type BenchDatabase = {
  handle: DatabaseHandle;
  url: string;
  /** 100,000 members and 50 partners (ids), whose accounts exist before the load. */
  members: string[];
  partners: string[];
  describeMachine(): Promise<string>;
  drop(): Promise<void>;
};

/**
 * A migrated database of its own and the ids of its parties. `drop` drops it, unless `keep`;
 * `reuse` names a database kept by an earlier run instead of making one.
 */
export async function openBenchDatabase(
  name: string,
  options: { reuse?: string; keep?: boolean; poolMax?: number } = {},
): Promise<BenchDatabase> {
  const config = loadConfig();
  const admin = postgres(config.databaseUrl, { max: 1, onnotice: () => {} });
  const database = options.reuse ?? `hub_bench_${name}_${Date.now().toString(36)}`;
  if (!options.reuse) await admin.unsafe(`CREATE DATABASE ${database}`);
  const url = new URL(config.databaseUrl);
  url.pathname = `/${database}`;
  const handle = openDatabase(url.toString(), {
    poolMax: options.poolMax ?? 20,
    appName: 'alliance-hub-bench',
  });
  const keep = options.keep === true || options.reuse !== undefined;
  const drop = async () => {
    await handle.close();
    if (keep) console.log(`kept database ${database}`);
    else await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  };
  try {
    await migrateToLatest(handle.db);
  } catch (error) {
    await drop();
    throw error;
  }
  const describeMachine = async () => {
    const [sync] = await handle.sql`SHOW synchronous_commit`;
    const [version] = await handle.sql`SELECT current_setting('server_version') AS v`;
    return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${os.loadavg()[0]?.toFixed(1)}, PostgreSQL ${version?.v}, synchronous_commit=${sync?.synchronous_commit}`;
  };
  return {
    handle,
    url: url.toString(),
    members: Array.from({ length: benchMembers }, () => newId()),
    partners: Array.from({ length: benchPartners }, () => newId()),
    describeMachine,
    drop,
  };
}

/**
 * The members' points accounts and `shards` shards of every partner's partner_issued account,
 * made through `ledger` before the load, as in a running alliance: its account cache knows them.
 */
export async function makeAccounts(
  bench: BenchDatabase,
  ledger: Ledger,
  shards: number,
): Promise<void> {
  for (let i = 0; i < bench.members.length; i += 5000) {
    await ledger.accountIds(bench.members.slice(i, i + 5000).map((m) => memberPointsKey(m)));
  }
  for (let shard = 0; shard < shards; shard += 1) {
    await ledger.accountIds(
      bench.partners.map((p) => partnerPointsKey(p, 'partner_issued', shard)),
    );
  }
  await bench.handle.sql`VACUUM ANALYZE ledger_accounts`;
}

/** A loopback port nothing listens on now, for a process a bench starts. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
