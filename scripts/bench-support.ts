/** What the benchmarks share: a database of their own, the parties, the machine's load. */
import { createHash, type KeyObject, randomBytes, sign } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
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

/** User and system CPU time of a process, in microseconds (Linux clock ticks of 10 ms). */
export function processCpuUs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** Peak and current resident memory of a process, in MB. */
export function processRssMb(pid: number): { peak: number; now: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { peak: kb('VmHWM') / 1024, now: kb('VmRSS') / 1024 };
}

/**
 * Signs as docs/signing.md says, with node:crypto directly (a partner's server would use its
 * platform's fastest signer): the load generator must cost little next to the hub it measures.
 */
export function partnerSigner(
  partnerId: string,
  kid: string,
  key: KeyObject,
  alg: 'EdDSA' | 'ES256' = 'EdDSA',
) {
  const header = Buffer.from(JSON.stringify({ alg, kid })).toString('base64url');
  return (method: string, path: string, body: string, idempotencyKey: string) => {
    const nonce = randomBytes(18).toString('base64url');
    const timestamp = String(Math.floor(Date.now() / 1000));
    const digest = createHash('sha256').update(body).digest('base64url');
    const payload = Buffer.from(
      ['hub-request-v1', partnerId, method, path, timestamp, nonce, idempotencyKey, digest].join(
        '\n',
      ),
    ).toString('base64url');
    const input = Buffer.from(`${header}.${payload}`);
    const signature =
      alg === 'EdDSA'
        ? sign(null, input, key)
        : sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' });
    return {
      'hub-partner': partnerId,
      'hub-timestamp': timestamp,
      'hub-nonce': nonce,
      'hub-signature': `${header}..${signature.toString('base64url')}`,
      'idempotency-key': idempotencyKey,
      'content-type': 'application/json',
    };
  };
}

export type Answer = { status: number; body: string };

/** POSTs on keep-alive connections to a server on loopback; resolves with status and body. */
export function benchClient(port: number, maxSockets: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  return (path: string, headers: Record<string, string>, body: string) =>
    new Promise<Answer>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, path, method: 'POST', agent, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}
