import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Ledger } from '../../ledger/index.ts';
import {
  isAppError,
  type ManualClock,
  manualClock,
  newId,
  parseRatio,
} from '../../platform/index.ts';
import {
  clearingPostings,
  defaultSettlementSettings,
  runSettlement,
} from '../../settlement/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { accrueFor, expectSoundLedger, holdFor, key, ledgerFor } from '../support/ledger.ts';
import { expectLinesTraceToEntries } from '../support/settlement.ts';

let hub: TestHub;
let ledger: Ledger;
let clock: ManualClock;
const dayMs = 86_400_000;
let day = 0;

beforeAll(async () => {
  clock = manualClock(new Date('2027-01-01T16:30:00Z'));
  hub = await createTestHub({ clock });
  ledger = ledgerFor(hub, clock);
});
afterAll(async () => {
  await ledger.close();
  await hub.close();
});

const command = fc.oneof(
  fc.record({
    op: fc.constant('accrue' as const),
    p: fc.nat(4),
    m: fc.nat(3),
    n: fc.integer({ min: 1, max: 400 }),
  }),
  fc.record({
    op: fc.constant('redeem' as const),
    p: fc.nat(4),
    m: fc.nat(3),
    n: fc.integer({ min: 1, max: 300 }),
  }),
  fc.record({
    op: fc.constant('capture' as const),
    p: fc.nat(4),
    m: fc.nat(3),
    n: fc.integer({ min: 2, max: 300 }),
  }),
  fc.record({ op: fc.constant('reverse' as const), i: fc.nat(50) }),
  fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 8 * 3_600_000 }) }),
);

const scenario = fc.record({
  partners: fc.integer({ min: 2, max: 5 }),
  pointValue: fc.constantFrom('1', '0.5', '3'),
  feeRate: fc.constantFrom('0.02', '0.015', '0.333', '0'),
  feeOnOwnPoints: fc.boolean(),
  /** Each member's opening points from each partner, so that most spends succeed. */
  opening: fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 20, maxLength: 20 }),
  commands: fc.array(command, { minLength: 1, maxLength: 25 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** Plays a scenario on the ledger; refusals (not enough points, already reversed) are normal. */
async function play(s: Scenario): Promise<void> {
  const partners = Array.from({ length: s.partners }, () => newId());
  const members = Array.from({ length: 4 }, () => newId());
  const extraPostings = clearingPostings({
    ...defaultSettlementSettings,
    pointValue: parseRatio(s.pointValue),
    feeRate: parseRatio(s.feeRate),
    feeOnOwnPoints: s.feeOnOwnPoints,
  });
  const spent: Array<{ partnerId: string; entryId: string }> = [];
  await Promise.all(
    partners.flatMap((partnerId, p) =>
      members.map((memberId, m) =>
        accrueFor(ledger, partnerId, memberId, s.opening[p * 4 + m] ?? 1),
      ),
    ),
  );
  for (const c of s.commands) {
    try {
      if (c.op === 'wait') clock.advanceMs(c.ms);
      else if (c.op === 'reverse') {
        const target = spent[c.i % Math.max(spent.length, 1)];
        if (target) await ledger.reverse({ ...target, idempotencyKey: key('rev') });
      } else {
        const partnerId = partners[c.p % partners.length] ?? '';
        const memberId = members[c.m] ?? '';
        if (c.op === 'accrue') {
          await accrueFor(ledger, partnerId, memberId, c.n);
        } else if (c.op === 'redeem') {
          const r = await ledger.redeem({
            partnerId,
            memberId,
            points: c.n,
            idempotencyKey: key(),
            extraPostings,
          });
          spent.push({ partnerId, entryId: r.entryId });
        } else {
          const h = await holdFor(
            ledger,
            partnerId,
            memberId,
            c.n,
            new Date(clock.now().getTime() + 60_000),
          );
          const r = await ledger.capture({
            partnerId,
            holdId: h.holdId,
            points: Math.ceil(c.n / 2),
            idempotencyKey: key(),
            extraPostings,
          });
          spent.push({ partnerId, entryId: r.entryId });
        }
      }
    } catch (error) {
      if (!isAppError(error)) throw error;
    }
  }
}

async function checkComputedPeriods(): Promise<void> {
  const periods = await hub.services.db
    .selectFrom('settlement_periods')
    .select(['id', 'status', 'hub_fees_minor'])
    .execute();
  for (const p of periods) {
    expect(p.status).toBe('computed');
    const { rows } = await sql<{ net: number | null; lines: number | null }>`
      SELECT (SELECT sum(net_minor) FROM settlement_positions WHERE period_id = ${p.id}::uuid)::int8 AS net,
        (SELECT sum(value_minor + fee_minor) FROM settlement_lines WHERE period_id = ${p.id}::uuid)::int8 AS lines`.execute(
      hub.services.db,
    );
    expect((rows[0]?.net ?? 0) + (p.hub_fees_minor ?? 0)).toBe(0);
    expect(rows[0]?.lines ?? 0).toBe(rows[0]?.net ?? 0);
    await expectLinesTraceToEntries(hub.services.db, p.id);
  }
}

it('for random scenarios, net positions plus hub fees are zero and every line traces to an entry', async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async (s) => {
      day += 1;
      clock.set(new Date(Date.parse('2027-01-01T16:30:00Z') + day * 3 * dayMs));
      await play(s);
      clock.set(new Date(clock.now().getTime() + 3 * dayMs));
      await runSettlement(hub.services.db, clock);
      await checkComputedPeriods();
    }),
    { numRuns: 15 },
  );
  // The scenarios did settle something: lines between partners and with the hub.
  const lines = await hub.services.db
    .selectFrom('settlement_lines')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'acceptor')
    .executeTakeFirstOrThrow();
  expect(Number(lines.n)).toBeGreaterThan(10);
  await expectSoundLedger(ledger);
});
