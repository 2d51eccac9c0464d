import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff } from '../../gateway/index.ts';
import type { Ledger } from '../../ledger/index.ts';
import { type ManualClock, manualClock, newId, parseRatio } from '../../platform/index.ts';
import {
  approvePeriod,
  breakagePostings,
  clearingPostings,
  defaultSettlementSettings,
  getStatement,
  markPaid,
  periodSummary,
  runSettlement,
} from '../../settlement/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { accrueFor, expectSoundLedger, farFuture, key, ledgerFor } from '../support/ledger.ts';
import { uniqueCode } from '../support/partners.ts';
import {
  clearing,
  csvOf,
  expectLinesTraceToEntries,
  redeemAt,
  sha256,
} from '../support/settlement.ts';

/**
 * A fixed day of four partners, worked out by hand. Defaults: 1 point = 1 fen, fee 2% half-even
 * per obligation, charged on own points too; periods cut at 00:00 Asia/Shanghai (16:00 UTC).
 * Period P1 is the local day 2026-03-01: [2026-02-28T16:00Z, 2026-03-01T16:00Z).
 */
const p1Start = new Date('2026-02-28T16:00:00Z');
const cut = new Date('2026-03-01T16:00:00Z');
const A = newId();
const B = newId();
const C = newId();
const D = newId();
const m1 = newId();
const m2 = newId();
const m3 = newId();

let hub: TestHub;
let ledger: Ledger;
let clock: ManualClock;
const entries = { t1: '', t2: '', t3: '', t4: '', t6: '', t7: '', t8: '' };

beforeAll(async () => {
  clock = manualClock(new Date('2026-02-28T17:00:00Z'));
  hub = await createTestHub({ clock });
  ledger = ledgerFor(hub, clock);
  await bookTheDay();
});
afterAll(async () => {
  await ledger.close();
  await hub.close();
});

async function accrue(partnerId: string, memberId: string, points: number, expiresAt = farFuture) {
  await accrueFor(ledger, partnerId, memberId, points, expiresAt);
  clock.advanceMs(1000);
}

async function bookTheDay(): Promise<void> {
  await accrue(A, m1, 1000);
  await accrue(B, m1, 500);
  await accrue(C, m2, 300, new Date('2026-03-01T10:00:00Z'));
  await accrue(D, m2, 400);
  await accrue(D, m3, 200);
  clock.set(new Date('2026-03-01T01:00:00Z'));
  // t1: A's own points at A: no obligation between partners; fee 2.5 -> 2 (half to even).
  entries.t1 = (await redeemAt(ledger, A, m1, 125, 'A-1')).entryId;
  clock.advanceMs(60_000);
  // t2: 1000 at B: 875 of A's lot (A owes B 875, fee 17.5 -> 18), then 125 of B's own (fee 2).
  entries.t2 = (await redeemAt(ledger, B, m1, 1000, 'B-1')).entryId;
  clock.advanceMs(60_000);
  // t3: a hold of 250 at D on C's lot, captured partially: 150 (C owes D 150, fee 3).
  const hold = await ledger.hold({
    partnerId: D,
    memberId: m2,
    points: 250,
    idempotencyKey: key('hold'),
    expiresAt: new Date('2026-03-01T03:00:00Z'),
    metadata: { orderId: 'D-1' },
  });
  entries.t3 = (
    await ledger.capture({
      partnerId: D,
      holdId: hold.holdId,
      points: 150,
      idempotencyKey: key('cap'),
      extraPostings: clearing,
    })
  ).entryId;
  clock.advanceMs(60_000);
  // t4: 75 at C of D's lot: D owes C 75, fee 1.5 -> 2. Refunded in the next period (t8).
  entries.t4 = (await redeemAt(ledger, C, m3, 75, 'C-1')).entryId;
  // t5: C's lot of m2 expires at 10:00: the 150 left are C's breakage.
  clock.set(new Date('2026-03-01T10:00:01Z'));
  await ledger.expireLots();
  // t6: the last millisecond of P1: 100 at A of D's lot, D owes A 100, fee 2.
  clock.set(new Date(cut.getTime() - 1));
  entries.t6 = (await redeemAt(ledger, A, m3, 100, 'A-2')).entryId;
  // t7: the cut-off itself belongs to P2: 25 at B of D's lot, fee 0.5 -> 0.
  clock.set(cut);
  entries.t7 = (await redeemAt(ledger, B, m3, 25, 'B-2')).entryId;
  // t8: refund of t4 booked in P2: it settles in P2.
  clock.advanceMs(3_600_000);
  entries.t8 = (
    await ledger.reverse({ partnerId: C, entryId: entries.t4, idempotencyKey: key('rev') })
  ).entryId;
}

function position(net: number, to: number, by: number, fees: number, breakage = 0) {
  return {
    netMinor: net,
    owedToOthersMinor: to,
    owedByOthersMinor: by,
    feesMinor: fees,
    breakagePoints: breakage,
  };
}

/** The id of the n-th period (0: P1). */
async function periodId(n: number): Promise<string> {
  const rows = await hub.services.db
    .selectFrom('settlement_periods')
    .select('id')
    .orderBy('starts_at')
    .execute();
  const id = rows[n]?.id;
  if (!id) throw new Error(`no period ${n}`);
  return id;
}

describe('a fixed day of four partners', () => {
  it('closes the period only after the cut-off and the grace', async () => {
    clock.set(new Date(cut.getTime() + 119_000));
    expect(await runSettlement(hub.services.db, clock)).toEqual({ closed: 0, computed: 0 });
    clock.set(new Date(cut.getTime() + 120_000));
    expect(await runSettlement(hub.services.db, clock)).toEqual({ closed: 1, computed: 1 });
    expect(await runSettlement(hub.services.db, clock)).toEqual({ closed: 0, computed: 0 });
  });

  it('nets P1 multilaterally: each partner pays or receives one amount, with the fees zero-sum', async () => {
    const p1 = await periodId(0);
    const summary = await periodSummary(hub.services.db, p1);
    expect(summary.period).toMatchObject({
      localDate: '2026-03-01',
      startsAt: p1Start.toISOString(),
      endsAt: cut.toISOString(),
      status: 'computed',
      hubFeesMinor: 29,
      lineCount: 11,
    });
    const byPartner = Object.fromEntries(
      summary.partners.map(
        ({
          partnerId,
          netMinor,
          owedToOthersMinor,
          owedByOthersMinor,
          feesMinor,
          breakagePoints,
        }) => [
          partnerId,
          { netMinor, owedToOthersMinor, owedByOthersMinor, feesMinor, breakagePoints },
        ],
      ),
    );
    expect(byPartner).toEqual({
      [A]: position(-795, 875, 100, 20),
      [B]: position(873, 0, 875, 2),
      [C]: position(-78, 150, 75, 3, 150),
      [D]: position(-29, 175, 150, 4),
    });
    expect(summary.matrix).toEqual(
      [
        { payerId: A, payeeId: B, amountMinor: 875 },
        { payerId: C, payeeId: D, amountMinor: 150 },
        { payerId: D, payeeId: A, amountMinor: 100 },
        { payerId: D, payeeId: C, amountMinor: 75 },
      ].sort((x, y) => (x.payerId + x.payeeId < y.payerId + y.payeeId ? -1 : 1)),
    );
    expect(summary.breakagePoints).toBe(150);
    await expectLinesTraceToEntries(hub.services.db, p1);
    await expectSoundLedger(ledger);
  });

  it('gives D a statement whose lines point at the entries and add up to its figures', async () => {
    const p1 = await periodId(0);
    const s = await getStatement(hub.services.db, {
      periodId: p1,
      partnerId: D,
    });
    expect(
      s.lines.map(({ entryId, role, counterpartyId, orderId, points, valueMinor, feeMinor }) => ({
        entryId,
        role,
        counterpartyId,
        orderId,
        points,
        valueMinor,
        feeMinor,
      })),
    ).toEqual([
      {
        entryId: entries.t3,
        role: 'acceptor',
        counterpartyId: C,
        orderId: null,
        points: 150,
        valueMinor: 150,
        feeMinor: 0,
      },
      {
        entryId: entries.t4,
        role: 'issuer',
        counterpartyId: C,
        orderId: 'C-1',
        points: 75,
        valueMinor: -75,
        feeMinor: -2,
      },
      {
        entryId: entries.t6,
        role: 'issuer',
        counterpartyId: A,
        orderId: 'A-2',
        points: 100,
        valueMinor: -100,
        feeMinor: -2,
      },
    ]);
    const sum = s.lines.reduce((n, l) => n + l.valueMinor + l.feeMinor, 0);
    expect(sum).toBe(s.totals.netMinor);
    const csv = await csvOf(hub.services.db, p1, D);
    expect(csv.split('\n')).toHaveLength(5);
    expect(sha256(csv)).toBe(s.digest);
  });

  it('settles the cut-off instant and the refund in P2', async () => {
    clock.set(new Date(cut.getTime() + 86_400_000 + 120_000));
    expect(await runSettlement(hub.services.db, clock)).toEqual({ closed: 1, computed: 1 });
    const p2 = await periodId(1);
    const summary = await periodSummary(hub.services.db, p2);
    expect(summary.hubFeesMinor).toBe(-2);
    expect(Object.fromEntries(summary.partners.map((p) => [p.partnerId, p.netMinor]))).toEqual({
      [B]: 25,
      [C]: -75,
      [D]: 52,
    });
    const c = await getStatement(hub.services.db, {
      periodId: p2,
      partnerId: C,
    });
    expect(c.lines).toMatchObject([
      {
        entryId: entries.t8,
        kind: 'redemption_reversal',
        role: 'acceptor',
        points: -75,
        valueMinor: -75,
      },
    ]);
    await expectLinesTraceToEntries(hub.services.db, p2);
    await expectSoundLedger(ledger);
  });

  it('is approved and paid by two finance users, with who and when', async () => {
    const p1 = await periodId(0);
    const newFinance = async () =>
      (await createStaff(hub.services.db, { name: uniqueCode('fin'), role: 'finance' })).staff.id;
    const staffId = await newFinance();
    const payerId = await newFinance();
    const now = clock.now();
    await expect(
      markPaid(hub.services.db, { periodId: p1, staffId, now, payments: [] }),
    ).rejects.toMatchObject({ type: 'conflict' });
    expect(await approvePeriod(hub.services.db, { periodId: p1, staffId, now })).toMatchObject({
      status: 'approved',
      approvedBy: staffId,
      approvedAt: now.toISOString(),
    });
    await expect(
      markPaid(hub.services.db, {
        periodId: p1,
        staffId: payerId,
        now,
        payments: [{ partnerId: A, reference: 'x' }],
      }),
    ).rejects.toMatchObject({ type: 'validation_failed' });
    const paid = await markPaid(hub.services.db, {
      periodId: p1,
      staffId: payerId,
      now,
      payments: [A, B, C, D].map((partnerId) => ({
        partnerId,
        reference: `bank-${partnerId.slice(-4)}`,
      })),
    });
    expect(paid).toMatchObject({ status: 'paid', approvedBy: staffId, paidBy: payerId });
  });

  it("charges the issuer the hub's share of breakage in the expiry entry when the alliance sets one", async () => {
    const E = newId();
    clock.set(new Date('2026-03-02T17:00:00Z'));
    await accrue(E, newId(), 201, new Date('2026-03-02T20:00:00Z'));
    clock.set(new Date('2026-03-02T20:00:01Z'));
    const halfShare = breakagePostings({
      ...defaultSettlementSettings,
      breakageShare: parseRatio('0.5'),
    });
    expect(await ledger.expireLots(undefined, halfShare)).toBe(1);
    clock.set(new Date('2026-03-03T16:02:00Z'));
    expect(await runSettlement(hub.services.db, clock)).toEqual({ closed: 1, computed: 1 });
    // 201 points are worth 201 fen; half of it is 100.5, rounded half to even: 100.
    const summary = await periodSummary(hub.services.db, await periodId(2));
    expect(summary).toMatchObject({
      hubFeesMinor: 100,
      breakagePoints: 201,
      partners: [{ partnerId: E, breakagePoints: 201, feesMinor: 100, netMinor: -100 }],
    });
    await expectSoundLedger(ledger);
  });

  it('refuses to approve a period whose ledger changed after it was computed', async () => {
    // An entry committing long after the close with a booked_at inside P2 (a stuck writer).
    const late = clock.now();
    clock.set(new Date(cut.getTime() + 7_200_000));
    const m = newId();
    await accrue(A, m, 100);
    await redeemAt(ledger, B, m, 100, 'late');
    clock.set(late);
    const { staff } = await createStaff(hub.services.db, {
      name: uniqueCode('fin'),
      role: 'finance',
    });
    const approving = approvePeriod(hub.services.db, {
      periodId: await periodId(1),
      staffId: staff.id,
      now: late,
    });
    await expect(approving).rejects.toMatchObject({ type: 'conflict' });
    await expectSoundLedger(ledger);
  });

  it('writes clearing postings only through the hook: no partner obligation for own points without the fee', async () => {
    const noOwnFee = clearingPostings({ ...defaultSettlementSettings, feeOnOwnPoints: false });
    expect(noOwnFee([{ lotId: newId(), issuerPartnerId: A, points: 500 }], A)).toEqual([]);
  });
});
