/**
 * npm run bench:counter: what partners' tills see, against a hub (`main.ts serve`) started here
 * on a database of its own, signed as partners sign (EdDSA; BENCH_ALG=ES256 for P-256):
 *   (a) single purchase accruals from 64 counters;
 *   (b) batch accruals, batches of 100 and of 500;
 *   (c) redemptions: pay code, authorise, capture; and one-step redeem;
 *   (d) the in-process group-commit writer alone, for the ratio.
 * For each: rate, p50 and p99, the hub's CPU per operation, database transactions and Redis
 * round trips per operation, and the hub's peak RSS. Loopback only; stops by itself. Not a test.
 */
import { spawn } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { openDomains } from '../domains.ts';
import { enrolAtPartner, issuePayCode } from '../members/index.ts';
import { addStore, onboardPartner, registerPartnerKey } from '../partners/index.ts';
import { createLogger, loadConfig, newId, openServices, type Services } from '../platform/index.ts';
import {
  type Answer,
  benchClient,
  busySince,
  freePort,
  latencySummary,
  machineCpu,
  openBenchDatabase,
  partnerSigner,
  processCpuUs,
  processRssMb,
} from './bench-support.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const counters = Number(process.env.BENCH_CONCURRENCY ?? 64);
const batchCounters = Number(process.env.BENCH_BATCH_CONCURRENCY ?? 4);
const membersCount = Number(process.env.BENCH_MEMBERS ?? 20_000);
const alg = process.env.BENCH_ALG === 'ES256' ? 'ES256' : 'EdDSA';
/** Which flows to run, e.g. BENCH_FLOWS=a,d; all by default. */
const flows = new Set((process.env.BENCH_FLOWS ?? 'a,b,c,d').split(','));

const bench = await openBenchDatabase('counter');
const env = { ...process.env, DATABASE_URL: bench.url, LOG_LEVEL: 'warn' };
const config = loadConfig(env);
const services = await openServices(config, { logger: createLogger('warn') });
const domains = await openDomains(services);
let hub: ReturnType<typeof spawn> | undefined;

/** A partner, its store and signing key, and members linked by customer id, with points. */
async function setUp(s: Services) {
  const partner = await onboardPartner(s.db, {
    code: 'bench-counter',
    name: 'Bench Ltd.',
    brand: 'Bench',
    settlement: {
      bankAccountName: 'Bench Ltd.',
      bankAccountNumber: '6222000000000001',
      currency: 'CNY',
    },
    // The bench measures the hub, not the partner's request quota.
    rateLimitPerMinute: 1_000_000,
  });
  const storeCode = 'BENCH-1';
  await addStore(s.db, partner.id, { code: storeCode, name: 'Bench counter' });
  const pair =
    alg === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = pair.publicKey.export({ format: 'jwk' });
  await registerPartnerKey(s.db, partner.id, { ...jwk, kid: 'bench' } as Parameters<
    typeof registerPartnerKey
  >[2]);
  const members: Array<{ id: string; customerId: string }> = [];
  for (let i = 0; i < membersCount; i += 50) {
    const chunk = await Promise.all(
      Array.from({ length: Math.min(50, membersCount - i) }, async (_, j) => {
        const customerId = `BENCH-C-${i + j}`;
        const { member } = await enrolAtPartner(s, {
          partnerId: partner.id,
          partnerCustomerId: customerId,
          email: `bench-${i + j}@example.test`,
        });
        await domains.ledger.accrue({
          partnerId: partner.id,
          memberId: member.id,
          points: 1_000_000,
          idempotencyKey: `bench-setup-${member.id}`,
          expiresAt: new Date('2099-01-01T00:00:00Z'),
        });
        return { id: member.id, customerId };
      }),
    );
    members.push(...chunk);
  }
  await s.sql`VACUUM ANALYZE`;
  const privateKey = createPrivateKey(pair.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  return {
    partnerId: partner.id,
    storeCode,
    members,
    sign: partnerSigner(partner.id, 'bench', privateKey, alg),
  };
}

const transactions = async () => {
  const [row] = await services.sql<{ n: number; rollbacks: number; deadlocks: number }[]>`
    SELECT (xact_commit + xact_rollback)::int AS n, xact_rollback::int AS rollbacks, deadlocks::int
    FROM pg_stat_database WHERE datname = current_database()`;
  if (process.env.BENCH_DEBUG) console.log('  pg_stat_database', JSON.stringify(row));
  return row?.n ?? 0;
};
const redisReads = async () =>
  Number(/total_reads_processed:(\d+)/.exec(await services.redis.info('stats'))?.[1] ?? 0);

type Flow = {
  name: string;
  unit: string;
  ops: number;
  latencies: number[];
  failures: Map<number, number>;
  /** Ends the flow early (it ran out of what it sends). */
  stop(): void;
};

/**
 * Runs `loop` on `concurrency` callers until the deadline and prints the figures. Statistics
 * are read before and after, with the hub's connections still open: pg_stat counts a backend's
 * transactions when it reports them, so the delta is read after a short pause.
 */
async function measure(
  name: string,
  unit: string,
  concurrency: number,
  hubPid: number,
  loop: (flow: Flow) => Promise<void>,
): Promise<void> {
  let deadline = performance.now() + seconds * 1000;
  const flow: Flow = {
    name,
    unit,
    ops: 0,
    latencies: [],
    failures: new Map(),
    stop: () => {
      deadline = 0;
    },
  };
  const [xactsBefore, readsBefore] = [await transactions(), await redisReads()];
  const machineBefore = machineCpu();
  const loadBefore = process.cpuUsage();
  const hubBefore = processCpuUs(hubPid);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) await loop(flow);
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const busy = busySince(machineBefore);
  const load = process.cpuUsage(loadBefore);
  const hubUs = processCpuUs(hubPid) - hubBefore;
  const reads = (await redisReads()) - readsBefore;
  // pg_stat_database is updated when backends report (at most every 10 ms when idle).
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const xacts = (await transactions()) - xactsBefore;
  const ops = flow.ops;
  const rss = processRssMb(hubPid);
  console.log(
    `${name.padEnd(36)} ${String(ops).padStart(8)} ${unit}  ${(ops / elapsed).toFixed(0).padStart(6)}/s  ${latencySummary(flow.latencies)}`,
  );
  console.log(
    `  per ${unit.replace(/s$/, '')}: hub ${(hubUs / ops).toFixed(0)} us CPU, load generator ${((load.user + load.system) / ops).toFixed(0)} us, ${(xacts / ops).toFixed(3)} database transactions, ${(reads / ops).toFixed(3)} Redis round trips; machine ${(busy * 100).toFixed(0)}% busy; hub RSS ${rss.now.toFixed(0)} MB (peak ${rss.peak.toFixed(0)} MB)`,
  );
  if (flow.failures.size > 0)
    console.log(`  answers other than 200: ${JSON.stringify([...flow.failures])}`);
}

function record(flow: Flow, answer: Answer, t0: number, ops = 1) {
  if (answer.status === 200) {
    flow.ops += ops;
    flow.latencies.push(performance.now() - t0);
  } else flow.failures.set(answer.status, (flow.failures.get(answer.status) ?? 0) + 1);
}

try {
  const setup = await setUp(services);
  const port = await freePort();
  // As `npm run hub` starts it (a small young generation); BENCH_HUB_FLAGS adds node flags,
  // e.g. --cpu-prof to see where the hub's time goes.
  const flags = [
    '--max-semi-space-size=4',
    ...(process.env.BENCH_HUB_FLAGS ?? '').split(' '),
  ].filter(Boolean);
  hub = spawn(process.execPath, [...flags, 'main.ts', 'serve'], {
    env: { ...env, PORT: String(port), DATABASE_POOL_MAX: process.env.BENCH_POOL ?? '20' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const hubPid = hub.pid ?? 0;
  for (let i = 0; ; i += 1) {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (i > 200) throw new Error('the hub did not become ready');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const post = benchClient(port, Math.max(counters, batchCounters));
  let n = 0;
  const purchase = () => {
    n += 1;
    const m = setup.members[(n * 7919) % setup.members.length];
    return {
      orderId: `B-${newId()}`,
      storeCode: setup.storeCode,
      amountMinor: 100 + ((n * 7919) % 50_000),
      purchasedAt: new Date().toISOString(),
      member: { customerId: m?.customerId ?? '' },
    };
  };
  const send = async (path: string, payload: unknown) => {
    const body = JSON.stringify(payload);
    return post(path, setup.sign('POST', path, body, newId()), body);
  };
  // Warm up: keys, rules, stores and connections cached as in a running hub.
  await Promise.all(
    Array.from({ length: counters }, () => send('/v1/partner/accruals', purchase())),
  );
  console.log(
    `counter benchmark: ${await bench.describeMachine()}; ${alg} signatures, ${membersCount} members, ${seconds} s a flow`,
  );

  if (flows.has('a'))
    await measure(
      '(a) single accruals, 64 counters',
      'accruals',
      counters,
      hubPid,
      async (flow) => {
        const t0 = performance.now();
        record(flow, await send('/v1/partner/accruals', purchase()), t0);
      },
    );
  if (flows.has('b'))
    for (const size of [100, 500]) {
      await measure(
        `(b) batch accruals of ${size}`,
        'purchases',
        batchCounters,
        hubPid,
        async (flow) => {
          const t0 = performance.now();
          const answer = await send('/v1/partner/accruals/batch', {
            purchases: Array.from({ length: size }, purchase),
          });
          record(flow, answer, t0, size);
        },
      );
    }
  if (flows.has('c')) {
    // Pay codes as members' phones ask for them, before the clock starts: they are the
    // members' doing, not the tills'. A member has one live code at a time (a new one kills
    // the last), so each flow gets one fresh code per member, and stops if it uses them all.
    const freshCodes = async () => {
      const codes: string[] = [];
      for (let i = 0; i < setup.members.length; i += 500) {
        const issued = await Promise.all(
          setup.members.slice(i, i + 500).map((m) => issuePayCode(services, m.id)),
        );
        codes.push(...issued.map((c) => c.code));
      }
      return codes;
    };
    const redemptions = (codes: string[]) => () => {
      const payCode = codes.pop();
      return payCode === undefined
        ? undefined
        : {
            payCode,
            storeCode: setup.storeCode,
            orderId: `R-${newId()}`,
            orderAmountMinor: 10_000,
            points: 100,
          };
    };
    const twoStep = redemptions(await freshCodes());
    await measure(
      '(c) pay code, authorise, capture',
      'redemptions',
      counters,
      hubPid,
      async (flow) => {
        const body = twoStep();
        if (!body) return flow.stop();
        const t0 = performance.now();
        const auth = await send('/v1/partner/redemptions/authorise', body);
        if (auth.status !== 200) return record(flow, auth, t0);
        const { holdId } = JSON.parse(auth.body) as { holdId: string };
        record(flow, await send(`/v1/partner/redemptions/${holdId}/capture`, {}), t0);
      },
    );
    const oneStep = redemptions(await freshCodes());
    await measure('(c) one-step redeem', 'redemptions', counters, hubPid, async (flow) => {
      const body = oneStep();
      if (!body) return flow.stop();
      const t0 = performance.now();
      record(flow, await send('/v1/partner/redemptions', body), t0);
    });
  }
  hub.kill('SIGTERM');
  await new Promise((resolve) => hub?.once('exit', resolve));
  hub = undefined;

  if (flows.has('d')) {
    // The same machine, the hub stopped: accruals straight into this process's writer.
    const callers = 1_000;
    const flow = { ops: 0, latencies: [] as number[] };
    const deadline = performance.now() + seconds * 1000;
    const machineBefore = machineCpu();
    const loadBefore = process.cpuUsage();
    const started = performance.now();
    let k = 0;
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (performance.now() < deadline) {
          k += 1;
          const m = setup.members[(k * 7919) % setup.members.length];
          const t0 = performance.now();
          await domains.ledger.accrue({
            partnerId: setup.partnerId,
            memberId: m?.id ?? '',
            points: 10,
            idempotencyKey: `writer-${newId()}`,
            expiresAt: new Date('2099-01-01T00:00:00Z'),
          });
          flow.ops += 1;
          flow.latencies.push(performance.now() - t0);
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const load = process.cpuUsage(loadBefore);
    console.log(
      `${'(d) the writer alone, 1,000 callers'.padEnd(36)} ${String(flow.ops).padStart(8)} accruals  ${(flow.ops / elapsed).toFixed(0).padStart(6)}/s  ${latencySummary(flow.latencies)}`,
    );
    console.log(
      `  per accrual: this process ${((load.user + load.system) / flow.ops).toFixed(0)} us CPU; machine ${(busySince(machineBefore) * 100).toFixed(0)}% busy`,
    );
  }
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
