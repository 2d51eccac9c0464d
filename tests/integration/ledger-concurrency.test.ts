import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLedger, type Ledger } from '../../ledger/index.ts';
import { type AppError, openDatabase } from '../../platform/index.ts';
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
beforeAll(async () => {
  hub = await createTestHub({ env: { DATABASE_POOL_MAX: '30' } });
  ledger = ledgerFor(hub);
});
afterEach(async () => {
  await expectSoundLedger(ledger);
});
afterAll(async () => {
  await ledger.close();
  await hub.close();
});

describe('concurrent spending', () => {
  it('lets exactly the affordable redemptions through when many race for one balance', async () => {
    const { partner, member } = parties();
    await accrueFor(ledger, partner, member, 205);
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, () => redeemFor(ledger, partner, member, 10)),
    );
    const succeeded = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter(
      (r) => r.status === 'rejected' && (r.reason as AppError).type === 'insufficient_points',
    ).length;
    expect(succeeded).toBe(20);
    expect(refused).toBe(40);
    expect(await ledger.memberPoints(member)).toEqual({ balance: 5, held: 0, available: 5 });
  });

  it('never lets holds and redemptions together overdraw a member', async () => {
    const { partner, member } = parties();
    await accrueFor(ledger, partner, member, 100);
    const soon = new Date(Date.now() + 60_000);
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        i % 2 === 0
          ? holdFor(ledger, partner, member, 7, soon)
          : redeemFor(ledger, partner, member, 7),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(14);
    const points = await ledger.memberPoints(member);
    expect(points.available).toBe(2);
    expect(points.balance).toBeGreaterThanOrEqual(points.held);
  });
});

describe('retries', () => {
  it('applies an accrual sent 40 times at once exactly once, answering all alike', async () => {
    const { partner, member } = parties();
    const input = {
      partnerId: partner,
      memberId: member,
      points: 33,
      idempotencyKey: key(),
      expiresAt: farFuture,
    };
    const answers = await Promise.all(Array.from({ length: 40 }, () => ledger.accrue(input)));
    expect(new Set(answers.map((a) => a.entryId)).size).toBe(1);
    expect(answers.filter((a) => !a.replayed)).toHaveLength(1);
    expect((await ledger.memberPoints(member)).balance).toBe(33);
  });

  it('applies a redemption sent 25 times at once exactly once', async () => {
    const { partner, member } = parties();
    await accrueFor(ledger, partner, member, 100);
    const request = { partnerId: partner, memberId: member, points: 30, idempotencyKey: key() };
    const answers = await Promise.all(Array.from({ length: 25 }, () => ledger.redeem(request)));
    expect(new Set(answers.map((a) => a.entryId)).size).toBe(1);
    expect((await ledger.memberPoints(member)).balance).toBe(70);
  });

  it('applies the same accrual through two writers (two hub processes) once', async () => {
    const { partner, member } = parties();
    const second = ledgerFor(hub);
    const input = {
      partnerId: partner,
      memberId: member,
      points: 12,
      idempotencyKey: key(),
      expiresAt: farFuture,
    };
    const answers = await Promise.all([
      ...Array.from({ length: 10 }, () => ledger.accrue(input)),
      ...Array.from({ length: 10 }, () => second.accrue(input)),
    ]);
    await second.close();
    expect(new Set(answers.map((a) => a.entryId)).size).toBe(1);
    expect((await ledger.memberPoints(member)).balance).toBe(12);
  });
});

describe('the group-commit writer', () => {
  it('writes concurrent accruals together in few transactions', async () => {
    const { partner } = parties();
    const members = Array.from({ length: 500 }, () => parties().member);
    const before = ledger.writerStats().batchesWritten;
    await Promise.all(members.map((m) => accrueFor(ledger, partner, m, 3)));
    expect(ledger.writerStats().batchesWritten - before).toBeLessThan(50);
    for (const m of members.slice(0, 5)) expect((await ledger.memberPoints(m)).balance).toBe(3);
  });

  it("writes batches side by side, each on its own shard of the issuer's account", async () => {
    const sideBySide = ledgerFor(hub, undefined, { batchSizeMax: 50, batchesInFlightMax: 3 });
    const { partner } = parties();
    const members = Array.from({ length: 600 }, () => parties().member);
    await Promise.all(members.map((m) => accrueFor(sideBySide, partner, m, 7)));
    await sideBySide.close();
    const shards = await hub.services.db
      .selectFrom('ledger_accounts')
      .select(['shard', 'balance'])
      .where('owner_id', '=', partner)
      .where('kind', '=', 'partner_issued')
      .orderBy('shard')
      .execute();
    // Three batches were in flight at once, so all three shards took part; together they are
    // what the issuer owes for the 600 accruals.
    expect(shards.map((s) => s.shard)).toEqual([0, 1, 2]);
    expect(shards.every((s) => s.balance < 0)).toBe(true);
    expect(shards.reduce((sum, s) => sum + s.balance, 0)).toBe(-600 * 7);
  });

  it('refuses more batches in flight than there are shards of an account', () => {
    expect(() => ledgerFor(hub, undefined, { batchesInFlightMax: 65 })).toThrow(RangeError);
    expect(() => ledgerFor(hub, undefined, { batchesInFlightMax: 0 })).toThrow(RangeError);
  });

  it('refuses at once, with 503 overloaded, when its queue is full', async () => {
    const small = ledgerFor(hub, undefined, { queueMax: 5, batchSizeMax: 1000, lingerMs: 50 });
    const { partner, member } = parties();
    const calls = Array.from({ length: 8 }, () => accrueFor(small, partner, member, 1));
    const results = await Promise.allSettled(calls);
    await small.close();
    const overloaded = results.filter(
      (r) => r.status === 'rejected' && (r.reason as AppError).type === 'overloaded',
    );
    expect(overloaded).toHaveLength(3);
    expect((overloaded[0] as PromiseRejectedResult).reason).toMatchObject({
      status: 503,
      retryAfterSeconds: 1,
    });
    expect((await ledger.memberPoints(member)).balance).toBe(5);
  });

  it('answers every caller of a failed batch with the failure, and writes none of it', async () => {
    const broken = openDatabase(hub.config.databaseUrl.replace('hub-local', 'wrong-password'), {
      poolMax: 1,
    });
    const failing = createLedger(
      { db: broken.db, clock: hub.services.clock, logger: hub.services.logger },
      { lingerMs: 1 },
    );
    const { partner, member } = parties();
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => accrueFor(failing, partner, member, 1)),
    );
    await failing.close();
    await broken.close();
    expect(
      results.every(
        (r) => r.status === 'rejected' && (r.reason as AppError).type === 'unavailable',
      ),
    ).toBe(true);
    expect((await ledger.memberPoints(member)).balance).toBe(0);
  });
});
