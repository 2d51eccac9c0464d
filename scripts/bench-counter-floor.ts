/**
 * npm run bench:counter-floor: the least a signed single accrual over HTTP must cost on this
 * machine, whatever the hub's design: a bare node:http server (a process of its own, as the hub
 * is) that does only what no till request can skip — read the body, digest it, verify the
 * Ed25519 signature, take the nonce and rate limit in one Redis script, sign a receipt, answer
 * JSON — and, in its second run, also books the points through the ledger's group-commit
 * writer (the accrual itself, with nothing beside it: no member look-up, no growth, no purchase
 * row, no kept answer). The same load as bench:counter flow (a): 64 counters, signed EdDSA.
 * Prints rate, p50/p99, the server's CPU per request, the machine's CPU per request.
 */
import { spawn } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import http from 'node:http';
import { Redis } from 'ioredis';
import { createLedger } from '../ledger/index.ts';
import { createLogger, loadConfig, newId, openDatabase, type Services } from '../platform/index.ts';
import {
  benchClient,
  busySince,
  freePort,
  latencySummary,
  machineCpu,
  openBenchDatabase,
  partnerSigner,
  processCpuUs,
} from './bench-support.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const counters = Number(process.env.BENCH_CONCURRENCY ?? 64);

const admitScript = `
if not redis.call('SET', KEYS[1], '1', 'EX', ARGV[1], 'NX') then return -1 end
local n = redis.call('INCR', KEYS[2])
if n == 1 then redis.call('PEXPIRE', KEYS[2], 60000) end
return n`;

/** The floor server: `node bench-counter-floor.ts serve <port> <with-ledger 0|1>`. */
async function serve(port: number, withLedger: boolean, publicJwk: string) {
  const config = loadConfig();
  const redis = new Redis(config.redisUrl);
  redis.defineCommand('admit', { numberOfKeys: 2, lua: admitScript });
  const admit = (redis as unknown as { admit(...a: string[]): Promise<number> }).admit.bind(redis);
  const publicKey = createPublicKey({ key: JSON.parse(publicJwk), format: 'jwk' });
  const receiptKey = generateKeyPairSync('ed25519').privateKey;
  const receiptHeader = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'floor' })).toString(
    'base64url',
  );
  const database = withLedger ? openDatabase(config.databaseUrl, { poolMax: 20 }) : undefined;
  const ledger = database
    ? createLedger({
        db: database.db,
        clock: { now: () => new Date() },
        logger: createLogger('warn'),
      })
    : undefined;
  http
    .createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        try {
          const body = Buffer.concat(chunks);
          const h = req.headers;
          const digest = createHash('sha256').update(body).digest('base64url');
          const [header = '', , signature = ''] = String(h['hub-signature']).split('.');
          const payload = [
            'hub-request-v1',
            h['hub-partner'],
            req.method,
            req.url,
            h['hub-timestamp'],
            h['hub-nonce'],
            h['idempotency-key'],
            digest,
          ].join('\n');
          const input = Buffer.from(`${header}.${Buffer.from(payload).toString('base64url')}`);
          if (!verify(null, input, publicKey, Buffer.from(signature, 'base64url')))
            throw new Error('bad signature');
          const partnerId = String(h['hub-partner']);
          await admit(`floor:{${partnerId}}:n:${h['hub-nonce']}`, `floor:{${partnerId}}:r`, '660');
          const purchase = JSON.parse(body.toString()) as { amountMinor: number; memberId: string };
          const booked = ledger
            ? await ledger.accrue({
                partnerId,
                memberId: purchase.memberId,
                points: Math.floor(purchase.amountMinor / 100) + 1,
                idempotencyKey: `floor-${newId()}`,
                expiresAt: new Date('2099-01-01T00:00:00Z'),
              })
            : { entryId: newId(), points: 1 };
          const answer = JSON.stringify({ entryId: booked.entryId, points: booked.points });
          const receiptPayload = Buffer.from(
            JSON.stringify({
              typ: 'hub-receipt/v1',
              partnerId,
              bodyDigest: createHash('sha256').update(answer).digest('base64url'),
              issuedAt: new Date().toISOString(),
            }),
          ).toString('base64url');
          const receiptInput = `${receiptHeader}.${receiptPayload}`;
          const receipt = `${receiptInput}.${sign(null, Buffer.from(receiptInput), receiptKey).toString('base64url')}`;
          res.writeHead(200, { 'content-type': 'application/json', 'hub-receipt': receipt });
          res.end(answer);
        } catch (error) {
          res.writeHead(500);
          res.end(String(error));
        }
      });
    })
    .listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
}

async function run(withLedger: boolean, bench: { url: string }, members: string[]) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const partnerId = newId();
  const port = await freePort();
  const server = spawn(
    process.execPath,
    [
      process.argv[1] ?? '',
      'serve',
      String(port),
      withLedger ? '1' : '0',
      JSON.stringify(publicKey.export({ format: 'jwk' })),
    ],
    { env: { ...process.env, DATABASE_URL: bench.url }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) => server.stdout?.once('data', () => resolve()));
  const post = benchClient(port, counters);
  const signed = partnerSigner(partnerId, 'floor', privateKey);
  const path = '/v1/partner/accruals';
  let n = 0;
  const send = async () => {
    n += 1;
    const body = JSON.stringify({
      orderId: `F-${newId()}`,
      amountMinor: 100 + ((n * 7919) % 50_000),
      memberId: members[(n * 7919) % members.length],
      purchasedAt: new Date().toISOString(),
    });
    return (await post(path, signed('POST', path, body, newId()), body)).status;
  };
  await Promise.all(Array.from({ length: counters }, send));
  const latencies: number[] = [];
  let failures = 0;
  const machineBefore = machineCpu();
  const serverBefore = processCpuUs(server.pid ?? 0);
  const loadBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: counters }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        if ((await send()) === 200) latencies.push(performance.now() - t0);
        else failures += 1;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const busy = busySince(machineBefore);
  const serverUs = processCpuUs(server.pid ?? 0) - serverBefore;
  const load = process.cpuUsage(loadBefore);
  const done = latencies.length;
  const label = withLedger ? 'floor with the accrual booked' : 'floor without the database';
  console.log(
    `${label.padEnd(32)} ${String(done).padStart(7)} requests ${(done / elapsed).toFixed(0).padStart(6)}/s  ${latencySummary(latencies)}${failures ? `  (${failures} failed)` : ''}`,
  );
  console.log(
    `  per request: server ${(serverUs / done).toFixed(0)} us CPU, load generator ${((load.user + load.system) / done).toFixed(0)} us, machine ${((2 * busy * 1e6) / (done / elapsed)).toFixed(0)} us (${(busy * 100).toFixed(0)}% busy)`,
  );
  server.kill('SIGKILL');
}

/**
 * The ledger's one-step redemption in this process, 64 callers, no HTTP, no counter row, no
 * kept answer: the least a redemption as the ledger writes it costs here.
 */
async function redemptionsAlone(ledger: ReturnType<typeof createLedger>, members: string[]) {
  const partnerId = newId();
  const spenders = members.slice(0, 2_000);
  for (let i = 0; i < spenders.length; i += 500)
    await Promise.all(
      spenders.slice(i, i + 500).map((memberId) =>
        ledger.accrue({
          partnerId,
          memberId,
          points: 1_000_000,
          idempotencyKey: `floor-fund-${newId()}`,
          expiresAt: new Date('2099-01-01T00:00:00Z'),
        }),
      ),
    );
  const latencies: number[] = [];
  const machineBefore = machineCpu();
  const loadBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let k = 0;
  await Promise.all(
    Array.from({ length: counters }, async () => {
      while (performance.now() < deadline) {
        k += 1;
        const t0 = performance.now();
        await ledger.redeem({
          partnerId,
          memberId: spenders[(k * 7919) % spenders.length] ?? '',
          points: 100,
          idempotencyKey: `floor-redeem-${newId()}`,
        });
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const busy = busySince(machineBefore);
  const load = process.cpuUsage(loadBefore);
  const done = latencies.length;
  console.log(
    `${'ledger redemptions alone'.padEnd(32)} ${String(done).padStart(7)} requests ${(done / elapsed).toFixed(0).padStart(6)}/s  ${latencySummary(latencies)}`,
  );
  console.log(
    `  per redemption: this process ${((load.user + load.system) / done).toFixed(0)} us CPU, machine ${((2 * busy * 1e6) / (done / elapsed)).toFixed(0)} us (${(busy * 100).toFixed(0)}% busy)`,
  );
}

if (process.argv[2] === 'serve') {
  await serve(Number(process.argv[3]), process.argv[4] === '1', process.argv[5] ?? '{}');
} else {
  const bench = await openBenchDatabase('counter_floor');
  const ledger = createLedger({
    db: bench.handle.db,
    clock: { now: () => new Date() },
    logger: createLogger('warn'),
  } as Pick<Services, 'db' | 'clock' | 'logger'>);
  try {
    console.log(
      `counter floor: ${await bench.describeMachine()}; ${counters} counters, ${seconds} s a run`,
    );
    const members = bench.members.slice(0, 20_000);
    if (process.env.BENCH_ONLY_REDEEM !== '1') {
      await run(false, bench, members);
      await run(true, bench, members);
    }
    if (process.env.BENCH_STATEMENTS === '1')
      await bench.handle.sql`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`.then(
        () => bench.handle.sql`SELECT pg_stat_statements_reset()`,
      );
    await redemptionsAlone(ledger, members);
    if (process.env.BENCH_STATEMENTS === '1') {
      const rows = await bench.handle
        .sql`SELECT calls, round(total_exec_time)::int AS ms, round(total_exec_time / calls * 1000)::int AS us_each, left(regexp_replace(query, '[[:space:]]+', ' ', 'g'), 110) AS q FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY total_exec_time DESC LIMIT 14`;
      for (const r of rows)
        console.log(
          `${String(r.calls).padStart(6)} ${String(r.ms).padStart(6)} ms ${String(r.us_each).padStart(6)} us  ${r.q}`,
        );
    }
    const faults = await ledger.verify();
    console.log(
      faults.length === 0 ? 'ledger verify: sound' : `ledger verify: ${JSON.stringify(faults)}`,
    );
  } finally {
    await ledger.close();
    await bench.drop();
  }
}
