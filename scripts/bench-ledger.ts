/**
 * npm run bench:ledger: accruals per second, one transaction per accrual (the usual way) against
 * the group-commit writer, with the same number of concurrent callers, on the same PostgreSQL.
 * Runs in a database of its own, created and dropped here. Not a test: it fails nothing.
 */
import { type AccrualInput, createLedger, groupCommitDefaults } from '../ledger/index.ts';
import { createLogger, systemClock } from '../platform/index.ts';
import {
  benchMembers,
  benchPartners,
  busySince,
  latencySummary,
  machineCpu,
  makeAccounts,
  openBenchDatabase,
} from './bench-support.ts';

const callers = Number(process.env.BENCH_CALLERS ?? 1000);
const baselineSeconds = Number(process.env.BENCH_BASELINE_SECONDS ?? 10);
const writerSeconds = Number(process.env.BENCH_WRITER_SECONDS ?? 15);
// The writer's defaults, unless BENCH_BATCH / BENCH_IN_FLIGHT ask for others.
const writerOptions = {
  ...groupCommitDefaults,
  batchSizeMax: Number(process.env.BENCH_BATCH ?? groupCommitDefaults.batchSizeMax),
  batchesInFlightMax: Number(process.env.BENCH_IN_FLIGHT ?? groupCommitDefaults.batchesInFlightMax),
};

const bench = await openBenchDatabase('ledger');
const { handle, members, partners } = bench;

try {
  const ledger = createLedger(
    { db: handle.db, clock: systemClock, logger: createLogger('warn') },
    writerOptions,
  );
  // Members and partners exist before the load, as they do in a running alliance: both runs
  // find their accounts made and cached.
  await makeAccounts(bench, ledger, writerOptions.batchesInFlightMax);
  const expiresAt = new Date(Date.now() + 365 * 24 * 3600 * 1000);
  const input = (i: number): AccrualInput => ({
    partnerId: partners[i % benchPartners] ?? '',
    memberId: members[(i * 7919) % benchMembers] ?? '',
    points: 1 + (i % 500),
    idempotencyKey: `bench-${i}`,
    expiresAt,
  });

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
    const busyShare = busySince(machineBefore);
    const rate = latencies.length / elapsed;
    console.log(
      `${name.padEnd(28)} ${String(latencies.length).padStart(8)} accruals  ${rate.toFixed(0).padStart(7)}/s  ${latencySummary(latencies)}  (this process ${((cpu.user + cpu.system) / latencies.length).toFixed(0)} us CPU per accrual; machine ${(busyShare * 100).toFixed(0)}% busy)`,
    );
    return rate;
  };

  console.log(`ledger benchmark: ${await bench.describeMachine()}, ${callers} concurrent callers`);
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
  await bench.drop();
}
