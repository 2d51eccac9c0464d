import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Counter, createCounter } from '../../counter/index.ts';
import { createApp } from '../../gateway/index.ts';
import { createLedger, type Ledger } from '../../ledger/index.ts';
import { isAppError, manualClock, newId } from '../../platform/index.ts';
import { liabilitySnapshotJob, runSettlement, snapshotDuePeriods } from '../../settlement/index.ts';
import { type CounterFixture, counterFixture } from '../support/counter.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { accrueFor, expectSoundLedger, ledgerFor } from '../support/ledger.ts';
import {
  idempotencyKey,
  newTestPartner,
  signedFetch,
  staffClient,
  staffToken,
  type TestApp,
  type TestPartner,
} from '../support/partners.ts';
import { redeemAt } from '../support/settlement.ts';

/**
 * Figures worked by hand, at 1 fen a point. On 2026-03-01 (Shanghai) issuer A gives m1 1000
 * points (no expiry in sight), m2 400 expiring at 05:00Z and m4 50 expiring at 07:00Z; issuer
 * B gives m3 2000. m1 spends 300 of A's points at B. At 06:00Z the expiry job takes m2's 400.
 * So at 08:00Z, A has 1000 - 300 = 700 outstanding and 50 past expiry not yet swept; in the
 * window 300 of its points were spent and 400 broke: rate 400 / 700 = 0.571429, expected
 * breakage 700 x 4/7 = 400 points = 400 fen. B: 2000 outstanding, no history: no rate, none.
 */
const clock = manualClock(new Date('2026-03-01T02:00:00Z'));
let hub: TestHub;
let app: TestApp;
let ledger: Ledger;
let asFinance: ReturnType<typeof staffClient>;
const A = newId();
const B = newId();

type IssuerBody = {
  partnerId: string;
  outstandingPoints: number;
  expiredUnsweptPoints: number;
  valueMinor: number;
  windowSpentPoints: number;
  windowBrokenPoints: number;
  breakageRate: string | null;
  expectedBreakagePoints: number;
  expectedBreakageMinor: number;
  limitPoints?: number | null;
};
type LiabilityBody = { at: string; issuers: IssuerBody[]; totals: Record<string, number> };

async function liability(query = ''): Promise<LiabilityBody> {
  return (await (await asFinance('GET', `/v1/finance/liability${query}`)).json()) as LiabilityBody;
}

function only(body: LiabilityBody, ids: string[]): IssuerBody[] {
  return body.issuers.filter((i) => ids.includes(i.partnerId));
}

beforeAll(async () => {
  hub = await createTestHub({ clock });
  ledger = ledgerFor(hub, clock);
  app = createApp(hub.services, { ledger });
  asFinance = staffClient(app, await staffToken(hub, 'finance'));
  const far = new Date('2099-01-01T00:00:00Z');
  const m1 = newId();
  await accrueFor(ledger, A, m1, 1000, far);
  await accrueFor(ledger, A, newId(), 400, new Date('2026-03-01T05:00:00Z'));
  await accrueFor(ledger, A, newId(), 50, new Date('2026-03-01T07:00:00Z'));
  await accrueFor(ledger, B, newId(), 2000, far);
  await redeemAt(ledger, B, m1, 300);
  clock.set(new Date('2026-03-01T06:00:00Z'));
  expect(await ledger.expireLots()).toBe(1);
  clock.set(new Date('2026-03-01T08:00:00Z'));
});
afterAll(async () => {
  await ledger.close();
  await hub.close();
});

describe('the points liability', () => {
  it('reports each issuer’s outstanding points, value and expected breakage now', async () => {
    const body = await liability();
    expect(only(body, [A, B])).toEqual(
      [
        {
          partnerId: A,
          outstandingPoints: 700,
          expiredUnsweptPoints: 50,
          valueMinor: 700,
          windowSpentPoints: 300,
          windowBrokenPoints: 400,
          breakageRate: '0.571429',
          expectedBreakagePoints: 400,
          expectedBreakageMinor: 400,
          limitPoints: null,
        },
        {
          partnerId: B,
          outstandingPoints: 2000,
          expiredUnsweptPoints: 0,
          valueMinor: 2000,
          windowSpentPoints: 0,
          windowBrokenPoints: 0,
          breakageRate: null,
          expectedBreakagePoints: 0,
          expectedBreakageMinor: 0,
          limitPoints: null,
        },
      ].sort((x, y) => (x.partnerId < y.partnerId ? -1 : 1)),
    );
    expect(body.totals).toMatchObject({ outstandingPoints: 2700, expectedBreakageMinor: 400 });
  });

  it('agrees with the issuers’ ledger accounts, from the other side', async () => {
    const { rows } = await sql<{ owner_id: string; outstanding: number }>`
      SELECT owner_id, (-sum(balance))::int8 AS outstanding FROM ledger_accounts
      WHERE asset = 'PTS' AND kind IN ('partner_issued', 'partner_redeemed', 'partner_breakage')
        AND owner_id IN (${A}, ${B}) GROUP BY owner_id ORDER BY owner_id`.execute(hub.services.db);
    expect(rows).toHaveLength(2);
    const body = await liability();
    for (const row of rows) {
      const issuer = body.issuers.find((i) => i.partnerId === row.owner_id);
      expect((issuer?.outstandingPoints ?? 0) + (issuer?.expiredUnsweptPoints ?? 0)).toBe(
        row.outstanding,
      );
    }
    await expectSoundLedger(ledger);
  });

  it('reads the ledger as it stood at an earlier instant, and not the future', async () => {
    const before = await liability('?at=2026-03-01T04:00:00Z');
    expect(only(before, [A]).at(0)).toMatchObject({
      outstandingPoints: 1150,
      expiredUnsweptPoints: 0,
      windowSpentPoints: 300,
      windowBrokenPoints: 0,
      breakageRate: '0.000000',
      expectedBreakagePoints: 0,
    });
    // At now (every entry booked before it), history gives what the lots hold now.
    const now = await liability('?at=2026-03-01T08:00:00Z');
    expect(only(now, [A, B])).toEqual(
      only(await liability(), [A, B]).map(({ limitPoints: _, ...rest }) => ({
        ...rest,
        limitPoints: null,
      })),
    );
    const future = await asFinance('GET', '/v1/finance/liability?at=2026-03-02T00:00:00Z');
    expect(future.status).toBe(400);
    expect(await future.json()).toMatchObject({ errors: [{ field: 'query.at' }] });
  });

  it('snapshots each closed period once, at its cut-off', async () => {
    clock.set(new Date('2026-03-01T16:03:00Z'));
    await runSettlement(hub.services.db, clock);
    const period = await hub.services.db
      .selectFrom('settlement_periods')
      .select(['id', 'ends_at'])
      .where('ends_at', '=', new Date('2026-03-01T16:00:00Z'))
      .executeTakeFirstOrThrow();
    const early = await asFinance('GET', `/v1/finance/periods/${period.id}/liability`);
    expect(early.status).toBe(409);
    expect(await snapshotDuePeriods(hub.services.db, clock.now())).toBe(1);
    expect(await snapshotDuePeriods(hub.services.db, clock.now())).toBe(0);
    expect(liabilitySnapshotJob.queue).toBe('liability-snapshots');
    const snapshot = (await (
      await asFinance('GET', `/v1/finance/periods/${period.id}/liability`)
    ).json()) as LiabilityBody & { localDate: string };
    expect(snapshot).toMatchObject({ localDate: '2026-03-01', at: '2026-03-01T16:00:00.000Z' });
    const asOf = await liability('?at=2026-03-01T16:00:00Z');
    expect(only(snapshot, [A, B])).toEqual(
      only(asOf, [A, B]).map(({ limitPoints: _, ...rest }) => rest),
    );
    expect(only(snapshot, [A]).at(0)).toMatchObject({
      outstandingPoints: 700,
      expiredUnsweptPoints: 50,
      expectedBreakageMinor: 400,
    });
  });
});

describe('a cap on an issuer’s outstanding points', () => {
  let issuer: TestPartner;
  let fixture: CounterFixture;
  let writerLedger: Ledger;
  let counter: Counter;

  beforeAll(async () => {
    issuer = await newTestPartner(hub);
    fixture = await counterFixture(hub, issuer.partner.id, { members: 30, points: 0 });
    // Small batches, three in flight: concurrent batches of the same issuer on other shards.
    writerLedger = createLedger(hub.services, { batchSizeMax: 5, lingerMs: 5 });
    counter = createCounter({ services: hub.services, ledger: writerLedger });
  });
  afterAll(async () => {
    await counter.close();
    await writerLedger.close();
    await fixture.ledger.close();
  });

  const outstanding = async () => {
    const { rows } = await sql<{ n: number }>`
      SELECT coalesce(sum(remaining), 0)::int8 AS n FROM ledger_lots
      WHERE issuer_partner_id = ${issuer.partner.id}::uuid`.execute(hub.services.db);
    return rows[0]?.n;
  };

  it('is set by finance, in the audit log, and refuses a bad value naming the field', async () => {
    const path = `/v1/finance/liability/limits/${issuer.partner.id}`;
    const bad = await asFinance('PUT', path, { pointsMax: 0 });
    expect(await bad.json()).toMatchObject({ errors: [{ field: 'pointsMax' }] });
    expect(
      (await asFinance('PUT', `/v1/finance/liability/limits/${newId()}`, { pointsMax: 5 })).status,
    ).toBe(404);
    const set = await asFinance('PUT', path, { pointsMax: 1000 });
    expect(await set.json()).toEqual({ partnerId: issuer.partner.id, pointsMax: 1000 });
    const audit = (await (
      await asFinance('GET', `/v1/finance/audit?actionPrefix=issuer.&subject=${issuer.partner.id}`)
    ).json()) as { entries: Array<{ before: unknown; after: unknown }> };
    expect(audit.entries).toMatchObject([
      { before: { pointsMax: null }, after: { pointsMax: 1000 } },
    ]);
  });

  it('lets concurrent batches issue exactly up to the cap, and refuses the rest', async () => {
    // 10,000 fen at the default rate of 1 point per CNY: 100 points each; 30 purchases, 3000
    // points asked, a cap of 1000: ten go through, twenty are refused, whatever the batching.
    const results = await Promise.allSettled(
      fixture.members.map((m) =>
        counter.earn(issuer.partner.id, {
          ...fixture.purchase({ amountMinor: 10_000, member: { customerId: m.customerId } }),
          purchasedAt: clock.now(),
        }),
      ),
    );
    const granted = results.filter((r) => r.status === 'fulfilled');
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(granted.map((g) => g.value.answer.points)).toEqual(Array(10).fill(100));
    expect(refused).toHaveLength(20);
    for (const error of refused) {
      expect(isAppError(error) && error.type).toBe('liability_limit_reached');
    }
    expect(await outstanding()).toBe(1000);
    const purchases = await hub.services.db
      .selectFrom('counter_purchases')
      .select('order_id')
      .where('partner_id', '=', issuer.partner.id)
      .execute();
    expect(purchases).toHaveLength(10);
    await expectSoundLedger(writerLedger);
  });

  it('answers a till with a problem saying by how much, and books nothing', async () => {
    const purchase = fixture.purchase({ amountMinor: 5_000 });
    const res = await signedFetch(hub, app, issuer.key, {
      method: 'POST',
      path: '/v1/partner/accruals',
      body: purchase,
      idempotencyKey: idempotencyKey(),
    });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({
      type: '/docs/problems#liability_limit_reached',
      limitPoints: 1000,
      outstandingPoints: 1000,
      askedPoints: 50,
    });
    const booked = await hub.services.db
      .selectFrom('counter_purchases')
      .select('order_id')
      .where('order_id', '=', purchase.orderId)
      .execute();
    expect(booked).toEqual([]);
    // Lifting the cap lets the same purchase through under a new key.
    await asFinance('PUT', `/v1/finance/liability/limits/${issuer.partner.id}`, {
      pointsMax: null,
    });
    const again = await signedFetch(hub, app, issuer.key, {
      method: 'POST',
      path: '/v1/partner/accruals',
      body: purchase,
      idempotencyKey: idempotencyKey(),
    });
    expect(await again.json()).toMatchObject({ points: 50 });
    expect(await outstanding()).toBe(1050);
  });
});
