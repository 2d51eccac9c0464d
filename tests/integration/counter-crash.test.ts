import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuePayCode } from '../../members/index.ts';
import { createPartnerClient, type PartnerClient } from '../../sdk/index.ts';
import { type CounterFixture, counterFixture } from '../support/counter.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { type HubProcess, startHubProcess } from '../support/hub-process.ts';
import { expectSoundLedger } from '../support/ledger.ts';
import {
  idempotencyKey,
  newTestPartner,
  type TestPartner,
  uniqueCode,
} from '../support/partners.ts';

// A hub process killed with SIGKILL at each boundary inside earn, capture and refund: just
// before its transaction commits, and just after (before anyone is answered). The till's retry,
// with the same Idempotency-Key and body, goes to another hub process. Whatever was committed
// is wholly there and answered as it was; whatever was not is wholly absent and applies once
// on the retry; a captured redemption can always be refunded.

let hub: TestHub;
let partner: TestPartner;
let till: CounterFixture;
let survivor: HubProcess;
let retryClient: PartnerClient;

beforeAll(async () => {
  hub = await createTestHub();
  partner = await newTestPartner(hub);
  till = await counterFixture(hub, partner.partner.id, { members: 4, points: 10_000 });
  survivor = await startHubProcess(hub);
  retryClient = client(survivor);
});
afterAll(async () => {
  survivor?.child.kill('SIGKILL');
  await hub.close();
});

function client(process: HubProcess): PartnerClient {
  return createPartnerClient({ baseUrl: process.url, key: partner.key });
}

/**
 * Sends one request to a hub armed to die at `killPoint`; returns once the process is dead,
 * having checked that it died there (SIGKILL) and that the till got no answer.
 */
async function sendToDyingHub(killPoint: string, path: string, body: unknown, key: string) {
  const dying = await startHubProcess(hub, { HUB_KILL_POINT: killPoint });
  const sent = client(dying).post(path, body, key);
  await expect(sent).rejects.toThrow();
  expect((await dying.exit).signal).toBe('SIGKILL');
}

async function retry(path: string, body: unknown, key: string) {
  const res = await retryClient.post(path, body, key);
  return { res, body: (await res.json()) as Record<string, unknown> };
}

const member = (i: number) => {
  const m = till.members[i];
  if (!m) throw new Error(`no member ${i}`);
  return m;
};

const balance = async (memberId: string) => (await till.ledger.memberPoints(memberId)).balance;

/** Everything one purchase leaves behind, counted: booked wholly, or not at all. */
async function traces(orderId: string, key: string) {
  const db = hub.services.db;
  const [purchases, growth, accruals, keys] = await Promise.all([
    db.selectFrom('counter_purchases').select('order_id').where('order_id', '=', orderId).execute(),
    db
      .selectFrom('growth_events')
      .select('id')
      .where('event_ref', '=', `purchase:${orderId}`)
      .execute(),
    db
      .selectFrom('ledger_requests')
      .select('entry_id')
      .where('idempotency_key', '=', `purchase:${orderId}`)
      .execute(),
    db.selectFrom('idempotency_keys').select('key').where('key', '=', key).execute(),
  ]);
  return [purchases.length, growth.length, accruals.length, keys.length];
}

describe('earn', () => {
  it('killed before its commit leaves no trace; the retry books it once', async () => {
    const m = member(0);
    const before = await balance(m.memberId);
    const purchase = till.purchase({ amountMinor: 7_700, member: { customerId: m.customerId } });
    const key = idempotencyKey();
    await sendToDyingHub('earn:before-commit', '/v1/partner/accruals', purchase, key);
    expect(await traces(purchase.orderId, key)).toEqual([0, 0, 0, 0]);
    expect(await balance(m.memberId)).toBe(before);

    const { res, body } = await retry('/v1/partner/accruals', purchase, key);
    expect(res.status).toBe(200);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    expect(body.points).toBe(77);
    expect(await traces(purchase.orderId, key)).toEqual([1, 1, 1, 1]);
    expect(await balance(m.memberId)).toBe(before + 77);
    await expectSoundLedger(till.ledger);
  });

  it('killed after its commit is wholly booked; the retry is told the same, and nothing more is booked', async () => {
    const m = member(0);
    const before = await balance(m.memberId);
    const purchase = till.purchase({ amountMinor: 3_300, member: { customerId: m.customerId } });
    const key = idempotencyKey();
    await sendToDyingHub('earn:after-commit', '/v1/partner/accruals', purchase, key);
    expect(await traces(purchase.orderId, key)).toEqual([1, 1, 1, 1]);
    expect(await balance(m.memberId)).toBe(before + 33);

    const { res, body } = await retry('/v1/partner/accruals', purchase, key);
    expect(res.status).toBe(200);
    expect(res.headers.get('idempotent-replayed')).toBe('true');
    expect(body).toMatchObject({ orderId: purchase.orderId, points: 33 });
    expect(await balance(m.memberId)).toBe(before + 33);
    await expectSoundLedger(till.ledger);
  });
});

/** A hold of `points` for a new order, authorised through the surviving hub. */
async function authorise(i: number, points: number) {
  const body = {
    payCode: (await issuePayCode(hub.services, member(i).memberId)).code,
    storeCode: till.storeCode,
    orderId: uniqueCode('R'),
    orderAmountMinor: 100_000,
    points,
  };
  const { res, body: answer } = await retry(
    '/v1/partner/redemptions/authorise',
    body,
    idempotencyKey(),
  );
  expect(res.status).toBe(200);
  return { holdId: String(answer.holdId), orderId: body.orderId };
}

async function refundRedemption(orderId: string) {
  return retry(
    '/v1/partner/refunds',
    { kind: 'redemption', refundId: uniqueCode('F'), orderId },
    idempotencyKey(),
  );
}

describe('capture', () => {
  for (const when of ['before', 'after'] as const) {
    it(`killed ${when} its commit: the retry captures once, and the redemption can be refunded`, async () => {
      const m = member(1);
      const start = await balance(m.memberId);
      const { holdId, orderId } = await authorise(1, 250);
      const path = `/v1/partner/redemptions/${holdId}/capture`;
      const key = idempotencyKey();
      await sendToDyingHub(`capture:${when}-commit`, path, { points: 200 }, key);
      expect(await balance(m.memberId)).toBe(when === 'before' ? start : start - 200);

      const { res, body } = await retry(path, { points: 200 }, key);
      expect(res.status).toBe(200);
      expect(body).toMatchObject({ holdId, points: 200, released: 50 });
      expect(await balance(m.memberId)).toBe(start - 200);

      const refund = await refundRedemption(orderId);
      expect(refund.res.status).toBe(200);
      expect(refund.body).toMatchObject({ kind: 'redemption', points: 200 });
      expect(await balance(m.memberId)).toBe(start);
      await expectSoundLedger(till.ledger);
    });
  }
});

describe('refund', () => {
  for (const when of ['before', 'after'] as const) {
    it(`of a purchase, killed ${when} its commit: the points come back once`, async () => {
      const m = member(2);
      const purchase = till.purchase({ amountMinor: 10_000, member: { customerId: m.customerId } });
      expect((await retry('/v1/partner/accruals', purchase, idempotencyKey())).res.status).toBe(
        200,
      );
      const start = await balance(m.memberId);
      const refund = {
        kind: 'purchase',
        refundId: uniqueCode('F'),
        orderId: purchase.orderId,
        refundAmountMinor: 4_000,
      };
      const key = idempotencyKey();
      await sendToDyingHub(`refund:${when}-commit`, '/v1/partner/refunds', refund, key);
      expect(await balance(m.memberId)).toBe(when === 'before' ? start : start - 40);

      const { res, body } = await retry('/v1/partner/refunds', refund, key);
      expect(res.status).toBe(200);
      expect(body).toMatchObject({ refundId: refund.refundId, points: 40 });
      expect(await balance(m.memberId)).toBe(start - 40);
      await expectSoundLedger(till.ledger);
    });

    it(`of a redemption, killed ${when} its commit: the points come back once`, async () => {
      const m = member(3);
      const { holdId, orderId } = await authorise(3, 300);
      await retry(`/v1/partner/redemptions/${holdId}/capture`, {}, idempotencyKey());
      const start = await balance(m.memberId);
      const refund = { kind: 'redemption', refundId: uniqueCode('F'), orderId };
      const key = idempotencyKey();
      await sendToDyingHub(`refund:${when}-commit`, '/v1/partner/refunds', refund, key);
      expect(await balance(m.memberId)).toBe(when === 'before' ? start : start + 300);

      const { res, body } = await retry('/v1/partner/refunds', refund, key);
      expect(res.status).toBe(200);
      expect(body).toMatchObject({ points: 300 });
      expect(await balance(m.memberId)).toBe(start + 300);
      await expectSoundLedger(till.ledger);
    });
  }
});
