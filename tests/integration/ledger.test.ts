import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Ledger, memberPointsKey } from '../../ledger/index.ts';
import { type ManualClock, manualClock } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import {
  accrueFor,
  expectSoundLedger,
  farFuture,
  holdFor,
  key,
  ledgerFor,
  parties,
  redeemFor,
} from '../support/ledger.ts';

let hub: TestHub;
let ledger: Ledger;
let clock: ManualClock;
beforeAll(async () => {
  clock = manualClock(new Date('2026-03-01T02:00:00Z'));
  hub = await createTestHub({ clock });
  ledger = ledgerFor(hub, clock);
});
afterEach(async () => {
  await expectSoundLedger(ledger);
});
afterAll(async () => {
  await ledger.close();
  await hub.close();
});

describe('accrual', () => {
  it('credits the member and records a lot of the issuer', async () => {
    const { partner, member } = parties();
    const result = await accrueFor(ledger, partner, member, 120);
    expect(result).toMatchObject({ points: 120, replayed: false });
    expect(await ledger.memberPoints(member)).toEqual({ balance: 120, held: 0, available: 120 });
  });

  it('applies a retried request once and answers it with the first result', async () => {
    const { partner, member } = parties();
    const input = {
      partnerId: partner,
      memberId: member,
      points: 50,
      idempotencyKey: key(),
      expiresAt: farFuture,
    };
    const first = await ledger.accrue(input);
    const again = await ledger.accrue(input);
    expect(again).toEqual({ ...first, replayed: true });
    expect((await ledger.memberPoints(member)).balance).toBe(50);
  });

  it('refuses the same key with a different request', async () => {
    const { partner, member } = parties();
    const input = {
      partnerId: partner,
      memberId: member,
      points: 50,
      idempotencyKey: key(),
      expiresAt: farFuture,
    };
    await ledger.accrue(input);
    await expect(ledger.accrue({ ...input, points: 51 })).rejects.toMatchObject({
      type: 'idempotency_key_reused',
    });
    expect((await ledger.memberPoints(member)).balance).toBe(50);
  });

  it('refuses fractional, zero and negative points without writing anything', async () => {
    const { partner, member } = parties();
    for (const points of [0, -5, 1.5]) {
      await expect(accrueFor(ledger, partner, member, points)).rejects.toMatchObject({
        type: 'validation_failed',
      });
    }
    expect(await ledger.memberPoints(member)).toEqual({ balance: 0, held: 0, available: 0 });
  });
});

describe('redemption', () => {
  it('spends the oldest lots first and records whose points were spent', async () => {
    const { partner, other, member } = parties();
    const old = await accrueFor(ledger, partner, member, 30);
    clock.advanceMs(1000);
    const newer = await accrueFor(ledger, other, member, 50);
    const spent = await redeemFor(ledger, other, member, 40);
    expect(spent.lots).toEqual([
      { lotId: old.lotId, issuerPartnerId: partner, points: 30 },
      { lotId: newer.lotId, issuerPartnerId: other, points: 10 },
    ]);
    expect(await ledger.memberPoints(member)).toEqual({ balance: 40, held: 0, available: 40 });
  });

  it('rejects an overdraft, and repeats the rejection for a retry even after points arrive', async () => {
    const { partner, member } = parties();
    await accrueFor(ledger, partner, member, 10);
    const request = { partnerId: partner, memberId: member, points: 25, idempotencyKey: key() };
    await expect(ledger.redeem(request)).rejects.toMatchObject({ type: 'insufficient_points' });
    await accrueFor(ledger, partner, member, 100);
    await expect(ledger.redeem(request)).rejects.toMatchObject({ type: 'insufficient_points' });
    expect((await ledger.memberPoints(member)).balance).toBe(110);
  });

  it('does not spend expired points', async () => {
    const { partner, member } = parties();
    await accrueFor(ledger, partner, member, 10, new Date(clock.now().getTime() + 1000));
    clock.advanceMs(2000);
    await expect(redeemFor(ledger, partner, member, 5)).rejects.toMatchObject({
      type: 'insufficient_points',
    });
  });
});

describe('holds', () => {
  it('reserves points, then captures part and releases the rest', async () => {
    const { partner, member } = parties();
    await accrueFor(ledger, partner, member, 100);
    const held = await holdFor(
      ledger,
      partner,
      member,
      60,
      new Date(clock.now().getTime() + 60_000),
    );
    expect(await ledger.memberPoints(member)).toEqual({ balance: 100, held: 60, available: 40 });
    await expect(redeemFor(ledger, partner, member, 50)).rejects.toMatchObject({
      type: 'insufficient_points',
    });
    const captured = await ledger.capture({
      partnerId: partner,
      holdId: held.holdId,
      points: 45,
      idempotencyKey: key(),
    });
    expect(captured).toMatchObject({ points: 45, released: 15 });
    expect(await ledger.memberPoints(member)).toEqual({ balance: 55, held: 0, available: 55 });
    await expect(
      ledger.capture({ partnerId: partner, holdId: held.holdId, idempotencyKey: key() }),
    ).rejects.toMatchObject({ type: 'conflict' });
  });

  it('voids a hold, giving every point back', async () => {
    const { partner, member } = parties();
    await accrueFor(ledger, partner, member, 100);
    const held = await holdFor(
      ledger,
      partner,
      member,
      70,
      new Date(clock.now().getTime() + 60_000),
    );
    expect(
      await ledger.voidHold({ partnerId: partner, holdId: held.holdId, idempotencyKey: key() }),
    ).toMatchObject({ released: 70 });
    expect(await ledger.memberPoints(member)).toEqual({ balance: 100, held: 0, available: 100 });
  });

  it('cannot be captured or voided by another partner', async () => {
    const { partner, other, member } = parties();
    await accrueFor(ledger, partner, member, 100);
    const held = await holdFor(
      ledger,
      partner,
      member,
      10,
      new Date(clock.now().getTime() + 60_000),
    );
    await expect(
      ledger.capture({ partnerId: other, holdId: held.holdId, idempotencyKey: key() }),
    ).rejects.toMatchObject({ type: 'not_found' });
    await expect(
      ledger.voidHold({ partnerId: other, holdId: held.holdId, idempotencyKey: key() }),
    ).rejects.toMatchObject({ type: 'not_found' });
    expect((await ledger.memberPoints(member)).held).toBe(10);
  });

  it('answers a retry that arrives after the deadline with the first answer', async () => {
    const { partner, member } = parties();
    await accrueFor(ledger, partner, member, 10);
    const request = {
      partnerId: partner,
      memberId: member,
      points: 40,
      idempotencyKey: key(),
      expiresAt: new Date(clock.now().getTime() + 1000),
    };
    await expect(ledger.hold(request)).rejects.toMatchObject({ type: 'insufficient_points' });
    clock.advanceMs(2000);
    await expect(ledger.hold(request)).rejects.toMatchObject({ type: 'insufficient_points' });
    await expect(ledger.hold({ ...request, idempotencyKey: key() })).rejects.toMatchObject({
      type: 'validation_failed',
    });
  });

  it('voids itself once its deadline passes (the sweep job)', async () => {
    const { partner, member } = parties();
    await accrueFor(ledger, partner, member, 100);
    const held = await holdFor(
      ledger,
      partner,
      member,
      30,
      new Date(clock.now().getTime() + 60_000),
    );
    clock.advanceMs(60_001);
    await expect(
      ledger.capture({ partnerId: partner, holdId: held.holdId, idempotencyKey: key() }),
    ).rejects.toMatchObject({ type: 'conflict' });
    expect(await ledger.expireHolds()).toBeGreaterThanOrEqual(1);
    expect(await ledger.memberPoints(member)).toEqual({ balance: 100, held: 0, available: 100 });
  });
});

describe('expiry', () => {
  it("moves an expired lot's remainder to the issuer's breakage, each lot in an entry of its own", async () => {
    const { partner, member } = parties();
    const soon = new Date(clock.now().getTime() + 10_000);
    await accrueFor(ledger, partner, member, 40, soon);
    await accrueFor(ledger, partner, member, 25, soon);
    await accrueFor(ledger, partner, member, 100);
    await redeemFor(ledger, partner, member, 15);
    clock.advanceMs(10_000);
    expect(await ledger.expireLots()).toBeGreaterThanOrEqual(2);
    expect((await ledger.memberPoints(member)).balance).toBe(100);
    const breakage = await ledger.accountId({
      ownerType: 'partner',
      ownerId: partner,
      kind: 'partner_breakage',
      asset: 'PTS',
    });
    expect(await ledger.balanceAsOf(breakage, clock.now())).toBe(50);
    expect(await ledger.expireLots()).toBe(0);
  });
});

describe('reversal', () => {
  it('reverses an unspent accrual, and only once', async () => {
    const { partner, member } = parties();
    const accrual = await accrueFor(ledger, partner, member, 80);
    const reversed = await ledger.reverse({
      partnerId: partner,
      entryId: accrual.entryId,
      idempotencyKey: key(),
      reason: 'order refunded',
    });
    expect(reversed).toMatchObject({ reversesEntryId: accrual.entryId, points: 80 });
    expect((await ledger.memberPoints(member)).balance).toBe(0);
    await expect(
      ledger.reverse({ partnerId: partner, entryId: accrual.entryId, idempotencyKey: key() }),
    ).rejects.toMatchObject({ type: 'conflict' });
  });

  it('refuses to reverse an accrual whose points were spent', async () => {
    const { partner, member } = parties();
    const accrual = await accrueFor(ledger, partner, member, 80);
    await redeemFor(ledger, partner, member, 1);
    await expect(
      ledger.reverse({ partnerId: partner, entryId: accrual.entryId, idempotencyKey: key() }),
    ).rejects.toMatchObject({
      type: 'insufficient_points',
    });
    expect((await ledger.memberPoints(member)).balance).toBe(79);
  });

  it('returns redeemed points to the lots they came from', async () => {
    const { partner, other, member } = parties();
    await accrueFor(ledger, partner, member, 30);
    const spent = await redeemFor(ledger, other, member, 30);
    await ledger.reverse({ partnerId: other, entryId: spent.entryId, idempotencyKey: key() });
    expect((await ledger.memberPoints(member)).balance).toBe(30);
    const again = await redeemFor(ledger, other, member, 30);
    expect(again.lots.map((l) => l.issuerPartnerId)).toEqual([partner]);
  });

  it("cannot reverse another partner's entry", async () => {
    const { partner, other, member } = parties();
    const accrual = await accrueFor(ledger, partner, member, 10);
    await expect(
      ledger.reverse({ partnerId: other, entryId: accrual.entryId, idempotencyKey: key() }),
    ).rejects.toMatchObject({ type: 'not_found' });
  });
});

describe('the journal in the database', () => {
  it('refuses UPDATE and DELETE on entries and postings', async () => {
    const { partner, member } = parties();
    await accrueFor(ledger, partner, member, 5);
    const db = hub.services.db;
    await expect(sql`UPDATE ledger_postings SET amount = amount * 2`.execute(db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`DELETE FROM ledger_entries`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`UPDATE ledger_requests SET request_hash = 'x'`.execute(db)).rejects.toThrow(
      /append-only/,
    );
  });

  it('refuses to commit an unbalanced entry, whoever writes it', async () => {
    const { partner, member } = parties();
    await accrueFor(ledger, partner, member, 5);
    const account = await ledger.accountId(memberPointsKey(member));
    await expect(
      hub.services.db.transaction().execute(async (tx) => {
        await sql`INSERT INTO ledger_entries (id, kind, booked_at) VALUES ('00000000-0000-7000-8000-000000000001', 'adjustment', now())`.execute(
          tx,
        );
        await sql`INSERT INTO ledger_postings (entry_id, account_id, asset, amount, booked_at)
          VALUES ('00000000-0000-7000-8000-000000000001', ${account}::uuid, 'PTS', 1000, now())`.execute(
          tx,
        );
      }),
    ).rejects.toThrow(/not balanced/);
    expect((await ledger.memberPoints(member)).balance).toBe(5);
  });
});

describe('point in time', () => {
  it('gives any past balance and a paged statement with running balances', async () => {
    const { partner, member } = parties();
    const start = clock.now();
    for (let i = 1; i <= 5; i += 1) {
      clock.advanceMs(1000);
      await accrueFor(ledger, partner, member, i * 10);
    }
    const account = await ledger.accountId(memberPointsKey(member));
    expect(await ledger.balanceAsOf(account, start)).toBe(0);
    expect(await ledger.balanceAsOf(account, new Date(start.getTime() + 2500))).toBe(30);
    const range = { from: new Date(start.getTime() + 1500), to: clock.now() };
    const first = await ledger.accountStatement(account, { ...range, limit: 2 });
    expect(first.openingBalance).toBe(10);
    expect(first.lines.map((l) => [l.amount, l.balanceAfter])).toEqual([
      [20, 30],
      [30, 60],
    ]);
    const second = await ledger.accountStatement(account, {
      ...range,
      limit: 2,
      cursor: first.nextCursor,
    });
    expect(second.lines.map((l) => [l.amount, l.balanceAfter])).toEqual([[40, 100]]);
    expect(second.nextCursor).toBeNull();
  });
});

describe('verify', () => {
  it('finds a balance changed behind the journal, and names the check', async () => {
    const { partner, member } = parties();
    await accrueFor(ledger, partner, member, 5);
    const account = await ledger.accountId(memberPointsKey(member));
    await sql`UPDATE ledger_accounts SET balance = balance + 1 WHERE id = ${account}::uuid`.execute(
      hub.services.db,
    );
    const faults = await ledger.verify();
    expect(faults.map((f) => f.check)).toEqual(
      expect.arrayContaining([
        'balances of an asset do not sum to zero',
        'account balance differs from the sum of its postings',
      ]),
    );
    await sql`UPDATE ledger_accounts SET balance = balance - 1 WHERE id = ${account}::uuid`.execute(
      hub.services.db,
    );
  });
});
