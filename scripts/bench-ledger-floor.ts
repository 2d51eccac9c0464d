/**
 * npm run bench:ledger-floor: what the least an accrual must write costs on this machine, and so
 * how fast any accrual writer could be here. Whatever its design, a writer that keeps what the
 * ledger promises writes, for each accrual, a lot, the member's posting and the member's new
 * balance. This writes exactly those, with the writer's batches (500 accruals, three in flight,
 * the same eleven input arrays as array literals, fresh ids and the writer's request digest)
 * and nothing else: no entry, no idempotency record,
 * no issuer side, no locks, the balance trigger switched off. Then each part alone.
 *
 * The ledger it leaves is deliberately not sound, and it is dropped at the end. Not a test.
 */
import os from 'node:os';
import postgres from 'postgres';
import { accrualHash, createLedger } from '../ledger/index.ts';
import { createLogger, newId, systemClock } from '../platform/index.ts';
import { busySince, machineCpu, makeAccounts, openBenchDatabase } from './bench-support.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const batchSize = 500;
const inFlight = 3;

const bench = await openBenchDatabase('floor');
const cores = os.cpus().length;

const input = `WITH input AS (
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::uuid[],
    $7::int8[], $8::timestamptz[], $9::jsonb[], $10::uuid[], $11::uuid[])
  AS t(partner_id, member_id, key, hash, entry_id, lot_id, points, expires_at, metadata, member_account, issuer_account))`;
const lots = `INSERT INTO ledger_lots (id, account_id, member_id, issuer_partner_id, entry_id, amount, remaining, issued_at, expires_at)
  SELECT lot_id, member_account, member_id, partner_id, entry_id, points, points, now(), expires_at FROM input`;
const postings = `INSERT INTO ledger_postings (entry_id, account_id, asset, amount, booked_at)
  SELECT entry_id, member_account, 'PTS', points, now() FROM input`;
const balances = `UPDATE ledger_accounts a SET balance = a.balance + d.points
  FROM (SELECT member_account, sum(points) AS points FROM input GROUP BY 1) d WHERE a.id = d.member_account`;
const statements: Array<[string, string]> = [
  [
    'lot + posting + balance',
    `${input}, l AS (${lots}), p AS (${postings}), b AS (${balances}) SELECT 1`,
  ],
  ['only reading the batch', `${input} SELECT count(*) FROM input`],
  ['only the lots', `${input} ${lots}`],
  ['only the postings', `${input} ${postings}`],
  ['only the balances', `${input} ${balances}`],
];

try {
  const ledger = createLedger({
    db: bench.handle.db,
    clock: systemClock,
    logger: createLogger('warn'),
  });
  await makeAccounts(bench, ledger, 1);
  await ledger.close();
  console.log(`ledger floor: ${await bench.describeMachine()}`);
  console.log(`batches of ${batchSize}, ${inFlight} in flight, ${seconds} s each`);
  await bench.handle.sql`ALTER TABLE ledger_postings DISABLE TRIGGER ledger_postings_apply`;
  const accountOf = new Map(
    (
      await bench.handle.sql<{ owner_id: string; id: string }[]>`
        SELECT owner_id, id FROM ledger_accounts WHERE kind IN ('member_points', 'partner_issued')`
    ).map((r) => [r.owner_id, r.id]),
  );
  const expiresAt = new Date(Date.now() + 365 * 24 * 3600 * 1000);
  let sequence = 0;
  // Connection k writes only members k, k + inFlight, ...: balances updated in no particular
  // order cannot deadlock. A real writer must also order its locks; this one is spared that.
  const batchFor = (lane: number): string[] => {
    const rows = Array.from({ length: batchSize }, () => {
      const i = sequence++;
      const slot = (i * 7919) % Math.floor(bench.members.length / inFlight);
      const member = bench.members[slot * inFlight + lane] ?? '';
      const partner = bench.partners[i % bench.partners.length] ?? '';
      const points = 1 + (i % 500);
      const idempotencyKey = `floor-${i}`;
      // The writer's own request digest, so that this costs what the writer's planning costs.
      const hash = accrualHash({
        partnerId: partner,
        memberId: member,
        points,
        idempotencyKey,
        expiresAt,
      });
      return [
        partner,
        member,
        idempotencyKey,
        hash,
        newId(),
        newId(),
        points,
        expiresAt.toISOString(),
      ];
    });
    const column = (k: number) => `{${rows.map((r) => r[k]).join(',')}}`;
    return [
      column(0),
      column(1),
      column(2),
      column(3),
      column(4),
      column(5),
      column(6),
      column(7),
      `{${rows.map(() => '"{}"').join(',')}}`,
      `{${rows.map((r) => accountOf.get(String(r[1]))).join(',')}}`,
      `{${rows.map((r) => accountOf.get(String(r[0]))).join(',')}}`,
    ];
  };
  const connections = Array.from({ length: inFlight }, () =>
    postgres(bench.url, { max: 1, onnotice: () => {} }),
  );
  const costs = new Map<string, number>();
  for (const [name, text] of statements) {
    const deadline = performance.now() + seconds * 1000;
    const started = performance.now();
    const machineBefore = machineCpu();
    const cpuBefore = process.cpuUsage();
    let written = 0;
    await Promise.all(
      connections.map(async (connection, lane) => {
        while (performance.now() < deadline) {
          await connection.unsafe(text, batchFor(lane));
          written += batchSize;
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const busy = busySince(machineBefore);
    const cpu = process.cpuUsage(cpuBefore);
    const rate = written / elapsed;
    const machineUs = (cores * busy * 1e6) / rate;
    costs.set(name, machineUs);
    console.log(
      `${name.padEnd(24)} ${rate.toFixed(0).padStart(7)}/s  machine ${(busy * 100).toFixed(0)}% busy, ${machineUs.toFixed(0)} us of CPU per accrual (this process ${((cpu.user + cpu.system) / written).toFixed(0)} us)`,
    );
  }
  await Promise.all(connections.map((c) => c.end()));
  const least = costs.get('lot + posting + balance') ?? 0;
  console.log(
    `ceiling: ${cores} cores / ${least.toFixed(0)} us = at most ${((cores * 1e6) / least).toFixed(0)} accruals/s for any writer on this machine`,
  );
} finally {
  await bench.drop();
}
