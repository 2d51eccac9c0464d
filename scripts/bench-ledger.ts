/**
 * npm run bench:ledger: accruals per second, one transaction per accrual (the usual way) against
 * the group-commit writer, with the same number of concurrent callers, on the same PostgreSQL.
 * Runs in a database of its own, created and dropped here. Not a test: it fails nothing.
 */
import os from 'node:os';
import postgres from 'postgres';
import {
  type AccrualInput,
  accrualWriterDefaults,
  createLedger,
  memberPointsKey,
  partnerPointsKey,
} from '../ledger/index.ts';
import {
  createLogger,
  loadConfig,
  migrateToLatest,
  newId,
  openDatabase,
  systemClock,
} from '../platform/index.ts';

const callers = Number(process.env.BENCH_CALLERS ?? 1000);
const baselineSeconds = Number(process.env.BENCH_BASELINE_SECONDS ?? 10);
const writerSeconds = Number(process.env.BENCH_WRITER_SECONDS ?? 15);
// The writer's defaults, unless BENCH_BATCH / BENCH_IN_FLIGHT ask for others.
const writerOptions = {
  ...accrualWriterDefaults,
  batchSizeMax: Number(process.env.BENCH_BATCH ?? accrualWriterDefaults.batchSizeMax),
  batchesInFlightMax: Number(
    process.env.BENCH_IN_FLIGHT ?? accrualWriterDefaults.batchesInFlightMax,
  ),
};
const membersCount = 100_000;
const partnersCount = 50;

/** Busy and idle CPU time of the whole machine: other work on it shows in the figures. */
function machineCpu(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const c of os.cpus()) {
    idle += c.times.idle;
    total += c.times.user + c.times.nice + c.times.sys + c.times.idle + c.times.irq;
  }
  return { idle, total };
}

const config = loadConfig();
const admin = postgres(config.databaseUrl, { max: 1, onnotice: () => {} });
const database = `hub_bench_${Date.now().toString(36)}`;
await admin.unsafe(`CREATE DATABASE ${database}`);
const url = new URL(config.databaseUrl);
url.pathname = `/${database}`;
const handle = openDatabase(url.toString(), { poolMax: 20, appName: 'alliance-hub-bench' });

try {
  await migrateToLatest(handle.db);
  const members = Array.from({ length: membersCount }, () => newId());
  const partners = Array.from({ length: partnersCount }, () => newId());
  const ledger = createLedger(
    { db: handle.db, clock: systemClock, logger: createLogger('warn') },
    writerOptions,
  );
  const expiresAt = new Date(Date.now() + 365 * 24 * 3600 * 1000);
  const input = (i: number): AccrualInput => ({
    partnerId: partners[i % partnersCount] ?? '',
    memberId: members[(i * 7919) % membersCount] ?? '',
    points: 1 + (i % 500),
    idempotencyKey: `bench-${i}`,
    expiresAt,
  });
  // Members and partners exist before the load, as they do in a running alliance: both runs
  // find their accounts made and cached.
  for (let i = 0; i < membersCount; i += 5000) {
    await ledger.accountIds(members.slice(i, i + 5000).map((m) => memberPointsKey(m)));
  }
  for (let shard = 0; shard < writerOptions.batchesInFlightMax; shard += 1) {
    await ledger.accountIds(partners.map((p) => partnerPointsKey(p, 'partner_issued', shard)));
  }
  await handle.sql`VACUUM ANALYZE ledger_accounts`;
  const sql = handle.sql;

  const run = async (
    name: string,
    seconds: number,
    accrue: (i: number) => Promise<unknown>,
    offset: number,
  ) => {
    const latencies: number[] = [];
    let next = offset;
    const deadline = performance.now() + seconds * 1000;
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const machineBefore = machineCpu();
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (performance.now() < deadline) {
          const i = next++;
          const t0 = performance.now();
          await accrue(i);
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const machine = machineCpu();
    const busyShare =
      1 - (machine.idle - machineBefore.idle) / (machine.total - machineBefore.total || 1);
    latencies.sort((a, b) => a - b);
    const pct = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
    const rate = latencies.length / elapsed;
    console.log(
      `${name.padEnd(28)} ${String(latencies.length).padStart(8)} accruals  ${rate.toFixed(0).padStart(7)}/s  p50 ${pct(0.5).toFixed(1)} ms  p99 ${pct(0.99).toFixed(1)} ms  (this process ${((cpu.user + cpu.system) / latencies.length).toFixed(0)} us CPU per accrual; machine ${(busyShare * 100).toFixed(0)}% busy)`,
    );
    return rate;
  };

  const [sync] = await sql`SHOW synchronous_commit`;
  const [version] = await sql`SELECT current_setting('server_version') AS v`;
  console.log(
    `ledger benchmark: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${os.loadavg()[0]?.toFixed(1)}, PostgreSQL ${version?.v}, ${callers} concurrent callers, synchronous_commit=${sync?.synchronous_commit}`,
  );
  console.log(`writer: ${JSON.stringify(writerOptions)}`);
  const baseline = await run(
    'one transaction per accrual',
    baselineSeconds,
    (i) => ledger.accrueAlone(input(i)),
    0,
  );
  const batched = await run(
    'group-commit writer',
    writerSeconds,
    (i) => ledger.accrue(input(i)),
    10_000_000,
  );
  console.log(`ratio writer/baseline: ${(batched / baseline).toFixed(1)}x`);
  await ledger.close();
  const faults = await ledger.verify();
  console.log(
    faults.length === 0 ? 'ledger verify: sound' : `ledger verify: ${JSON.stringify(faults)}`,
  );
} finally {
  await handle.close();
  await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
}
