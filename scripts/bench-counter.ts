/**
 * npm run bench:counter: purchases accrued over HTTP as partners' counters send them (signed,
 * with an idempotency key, one member looked up by the partner's customer id), against a hub
 * (`main.ts serve`) started here on a database of its own. Prints accruals/s, p50 and p99, the
 * hub's CPU per accrual and this load process's. Loopback only; stops by itself. Not a test.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createServer } from 'node:net';
import { openDomains } from '../domains.ts';
import { importSigningKey, newKey, signRequest } from '../load/lib/hub.js';
import { createLogger, loadConfig, openServices } from '../platform/index.ts';
import { busySince, latencySummary, machineCpu, openBenchDatabase } from './bench-support.ts';
import { prepareLoad } from './load-setup.ts';

const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 64);
const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const membersCount = 200;

/** A free loopback port for the hub. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** User and system CPU time of a process, in microseconds (Linux clock ticks of 10 ms). */
function processCpuUs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

const bench = await openBenchDatabase('counter');
const env = { ...process.env, DATABASE_URL: bench.url, LOG_LEVEL: 'warn' };
const config = loadConfig(env);
const services = await openServices(config, { logger: createLogger('warn') });
const domains = await openDomains(services);
let hub: ReturnType<typeof spawn> | undefined;
try {
  const setup = await prepareLoad(services, domains, membersCount);
  // The bench measures the hub, not the partner's request quota.
  await services.db
    .updateTable('partners')
    .set({ rate_limit_per_minute: 1_000_000 })
    .where('id', '=', setup.partner.id)
    .execute();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // BENCH_HUB_FLAGS: node flags for the hub, e.g. --cpu-prof to see where its time goes.
  const flags = (process.env.BENCH_HUB_FLAGS ?? '').split(' ').filter(Boolean);
  hub = spawn(process.execPath, [...flags, 'main.ts', 'serve'], {
    env: { ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const hubPid = hub.pid ?? 0;
  for (let i = 0; ; i += 1) {
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (i > 200) throw new Error('the hub did not become ready');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const key = await importSigningKey(setup.privateJwk);
  const path = '/v1/partner/accruals';
  let sent = 0;
  const failures = new Map<number, number>();
  const latencies: number[] = [];
  const accrue = async () => {
    const i = sent++;
    const body = JSON.stringify({
      orderId: newKey(),
      storeCode: setup.storeCode,
      amountMinor: 100 + ((i * 7919) % 50_000),
      purchasedAt: new Date().toISOString(),
      member: { customerId: setup.customerIds[i % setup.customerIds.length] },
    });
    const headers = await signRequest(key, setup.partner, {
      method: 'POST',
      path,
      body,
      idempotencyKey: newKey(),
    });
    const t0 = performance.now();
    const response = await fetch(`${url}${path}`, { method: 'POST', body, headers });
    await response.arrayBuffer();
    if (response.status === 200) latencies.push(performance.now() - t0);
    else failures.set(response.status, (failures.get(response.status) ?? 0) + 1);
  };
  // Warm up: keys, rules and connections cached as in a running hub.
  await Promise.all(Array.from({ length: concurrency }, accrue));
  latencies.length = 0;

  console.log(
    `counter benchmark: ${await bench.describeMachine()}, ${concurrency} concurrent counters, ${membersCount} members`,
  );
  const transactions = async () => {
    const [row] = await services.sql<{ n: number }[]>`
      SELECT (xact_commit + xact_rollback)::int AS n FROM pg_stat_database WHERE datname = current_database()`;
    return row?.n ?? 0;
  };
  const redisCommands = async () =>
    Number(/total_commands_processed:(\d+)/.exec(await services.redis.info('stats'))?.[1] ?? 0);
  const transactionsBefore = await transactions();
  const redisBefore = await redisCommands();
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  const machineBefore = machineCpu();
  const loadBefore = process.cpuUsage();
  const hubBefore = processCpuUs(hubPid);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) await accrue();
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const busy = busySince(machineBefore);
  const load = process.cpuUsage(loadBefore);
  const hubUs = processCpuUs(hubPid) - hubBefore;
  const redisUsed = (await redisCommands()) - redisBefore;
  const done = latencies.length;
  console.log(
    `signed accruals over HTTP  ${String(done).padStart(7)} accruals  ${(done / elapsed).toFixed(0).padStart(6)}/s  ${latencySummary(latencies)}`,
  );
  console.log(
    `  hub process ${(hubUs / done).toFixed(0)} us CPU per accrual; load generator ${((load.user + load.system) / done).toFixed(0)} us (signing included); machine ${(busy * 100).toFixed(0)}% busy`,
  );
  if (failures.size > 0) console.log(`  answers other than 200: ${JSON.stringify([...failures])}`);
  hub.kill('SIGTERM');
  await new Promise((resolve) => hub?.once('exit', resolve));
  hub = undefined;
  // Counted once the hub's connections have closed and so reported their statistics.
  const databaseUsed = (await transactions()) - transactionsBefore;
  console.log(
    `  per accrual: ${(databaseUsed / done).toFixed(1)} database transactions, ${(redisUsed / done).toFixed(1)} Redis commands`,
  );
  const faults = await domains.ledger.verify();
  console.log(
    faults.length === 0 ? 'ledger verify: sound' : `ledger verify: ${JSON.stringify(faults)}`,
  );
} finally {
  hub?.kill('SIGKILL');
  await domains.ledger.close();
  await services.close();
  await bench.drop();
}
