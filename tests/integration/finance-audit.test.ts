import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Counter } from '../../counter/index.ts';
import { createApp } from '../../gateway/index.ts';
import { newId } from '../../platform/index.ts';
import { computePeriod, reconcile } from '../../settlement/index.ts';
import { type CounterFixture, counterFixture } from '../support/counter.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { expectSoundLedger } from '../support/ledger.ts';
import {
  newKeyPair,
  newTestPartner,
  staffClient,
  staffToken,
  type TestApp,
  type TestPartner,
  uniqueCode,
} from '../support/partners.ts';

let hub: TestHub;
let app: TestApp;
let asAdmin: ReturnType<typeof staffClient>;
let asFinance: ReturnType<typeof staffClient>;

beforeAll(async () => {
  hub = await createTestHub();
  app = createApp(hub.services);
  asAdmin = staffClient(app, await staffToken(hub, 'admin'));
  asFinance = staffClient(app, await staffToken(hub, 'finance'));
});
afterAll(async () => {
  await hub.close();
});

type Entry = {
  action: string;
  subject: string;
  actor: { kind: string; id: string };
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
};

async function auditOf(subject: string): Promise<Entry[]> {
  const res = await asAdmin('GET', `/v1/admin/audit?subject=${subject}`);
  return ((await res.json()) as { entries: Entry[] }).entries;
}

describe('the audit trail of staff actions', () => {
  it('records every admin action on a partner, in order, with before and after', async () => {
    const onboarded = await asAdmin('POST', '/v1/admin/partners', {
      code: uniqueCode('aud'),
      name: 'Audited Ltd.',
      brand: 'Audited',
      settlement: {
        bankAccountName: 'Audited Ltd.',
        bankAccountNumber: '622200001',
        currency: 'CNY',
      },
    });
    const partnerId = ((await onboarded.json()) as { id: string }).id;
    const base = `/v1/admin/partners/${partnerId}`;
    const key = await newKeyPair('EdDSA', 'till-1');
    const steps: Array<[string, string, unknown]> = [
      ['PATCH', base, { status: 'suspended' }],
      ['POST', `${base}/stores`, { code: 'S1', name: 'First store' }],
      ['POST', `${base}/keys`, { jwk: key.publicJwk }],
      ['POST', `${base}/keys/till-1/revoke`, undefined],
      ['PUT', `${base}/rules/earn`, { pointsPerMinor: '0.02' }],
      ['PUT', `${base}/rules/burn`, { maxShare: '0.3' }],
      [
        'PUT',
        `${base}/bank-details`,
        { bankAccountName: 'Audited Ltd.', bankAccountNumber: '622200002', currency: 'CNY' },
      ],
    ];
    for (const [method, path, body] of steps) {
      const res = await asAdmin(method, path, body);
      expect(res.status, `${method} ${path}`).toBeLessThan(300);
    }
    const entries = await auditOf(partnerId);
    expect(entries.map((e) => e.action)).toEqual([
      'partner.onboard',
      'partner.update',
      'store.add',
      'key.register',
      'key.revoke',
      'rule.earn',
      'rule.burn',
      'partner.bank_details',
    ]);
    expect(new Set(entries.map((e) => `${e.actor.kind}:${e.actor.id}`)).size).toBe(1);
    expect(entries[1]).toMatchObject({
      before: { status: 'active' },
      after: { status: 'suspended' },
    });
    expect(entries[4]).toMatchObject({
      before: { status: 'active' },
      after: { status: 'revoked' },
    });
    expect(entries[5]).toMatchObject({
      before: { earn: { pointsPerMinor: '0.01' } },
      after: { earn: { pointsPerMinor: '0.02' } },
    });
    expect(entries[7]).toMatchObject({
      before: { bankAccountNumber: '622200001' },
      after: { bankAccountNumber: '622200002' },
    });
  });

  it('writes no line for an action that failed, and records hub benefits', async () => {
    const unknown = newId();
    const res = await asAdmin('PUT', `/v1/admin/partners/${unknown}/bank-details`, {
      bankAccountName: 'Nobody',
      bankAccountNumber: '622200003',
      currency: 'CNY',
    });
    expect(res.status).toBe(404);
    expect(await auditOf(unknown)).toEqual([]);
    const published = await asAdmin('POST', '/v1/admin/benefits', {
      code: uniqueCode('tea').toLowerCase(),
      title: 'Tea at 95%',
      kind: 'discount_rate',
      params: { rateBp: 9500 },
    });
    expect(published.status).toBe(201);
    const { id } = (await published.json()) as { id: string };
    expect((await asAdmin('POST', `/v1/admin/benefits/${id}/withdraw`)).status).toBe(200);
    expect((await auditOf(id)).map((e) => e.action)).toEqual([
      'benefit.publish',
      'benefit.withdraw',
    ]);
  });

  it('pages by keyset and filters by action prefix, for finance and admin alike', async () => {
    const first = (await (await asFinance('GET', '/v1/finance/audit?limit=2')).json()) as {
      entries: Entry[];
      next: string | null;
    };
    expect(first.entries).toHaveLength(2);
    expect(first.next).not.toBeNull();
    const rest = (await (
      await asFinance('GET', `/v1/finance/audit?limit=500&after=${first.next}`)
    ).json()) as { entries: Array<Entry & { id: string }> };
    const all = (await (await asAdmin('GET', '/v1/admin/audit?limit=500')).json()) as {
      entries: Array<Entry & { id: string }>;
    };
    expect([...first.entries, ...rest.entries]).toEqual(all.entries);
    const keys = (await (await asAdmin('GET', '/v1/admin/audit?actionPrefix=key.')).json()) as {
      entries: Entry[];
    };
    expect(keys.entries.map((e) => e.action)).toEqual(['key.register', 'key.revoke']);
    const bad = await asAdmin('GET', '/v1/admin/audit?actionPrefix=KEY');
    expect(await bad.json()).toMatchObject({ errors: [{ field: 'query.actionPrefix' }] });
  });
});

describe('reconciliation of every kind a partner books', () => {
  let partner: TestPartner;
  let fixture: CounterFixture;
  let counter: Counter;

  beforeAll(async () => {
    partner = await newTestPartner(hub);
    fixture = await counterFixture(hub, partner.partner.id, { members: 2, points: 10_000 });
    counter = fixture.counter;
  });
  afterAll(async () => {
    await counter.close();
    await fixture.ledger.close();
  });

  it('matches accruals, purchase refunds, redemptions and redemption refunds, by kind', async () => {
    // A purchase of 120 CNY earns 120 points at the default rate; refunding 40 CNY of it takes
    // back 40. A redemption of 300 points of its own (amount 0 between partners) is refunded.
    const purchase = fixture.purchase({ orderId: 'P-1', amountMinor: 12_000 });
    const earned = await counter.earn(partner.partner.id, {
      ...purchase,
      purchasedAt: new Date(purchase.purchasedAt),
    });
    expect(earned.answer.points).toBe(120);
    await counter.refundPurchase(partner.partner.id, {
      refundId: 'RF-1',
      orderId: 'P-1',
      refundAmountMinor: 4_000,
    });
    const redemption = await fixture.redemption({ orderId: 'R-1', points: 300 });
    await counter.redeem(partner.partner.id, redemption as Parameters<Counter['redeem']>[1]);
    await counter.refundRedemption(partner.partner.id, { refundId: 'RF-2', orderId: 'R-1' });
    const db = hub.services.db;
    const now = hub.services.clock.now();
    const periodId = newId();
    await db
      .insertInto('settlement_periods')
      .values({
        id: periodId,
        local_date: '2001-01-01',
        starts_at: new Date(now.getTime() - 3_600_000),
        ends_at: new Date(now.getTime() + 3_600_000),
        status: 'closed',
        closed_at: now,
        currency: 'CNY',
      })
      .execute();
    expect(await computePeriod(db, periodId, now)).toBe(true);
    const file = [
      'order_id,kind,points,amount_minor',
      'P-1,accrual,120,0',
      'P-1,accrual_clawback,-39,0',
      'R-1,redemption,300,0',
      'R-1,redemption_reversal,-300,0',
      'P-9,accrual,10,0',
    ].join('\n');
    const outcome = await reconcile(db, {
      periodId,
      partnerId: partner.partner.id,
      file: (async function* () {
        yield file;
      })(),
    });
    expect(outcome.byKind).toEqual([
      { kind: 'accrual', matched: 1, missingAtHub: 1, missingAtPartner: 0, mismatched: 0 },
      { kind: 'accrual_clawback', matched: 0, missingAtHub: 0, missingAtPartner: 0, mismatched: 1 },
      { kind: 'redemption', matched: 1, missingAtHub: 0, missingAtPartner: 0, mismatched: 0 },
      {
        kind: 'redemption_reversal',
        matched: 1,
        missingAtHub: 0,
        missingAtPartner: 0,
        mismatched: 0,
      },
    ]);
    expect(outcome.mismatched).toEqual([
      {
        orderId: 'P-1',
        kind: 'accrual_clawback',
        partner: { orderId: 'P-1', kind: 'accrual_clawback', points: -39, amountMinor: 0 },
        hub: { orderId: 'P-1', kind: 'accrual_clawback', points: -40, amountMinor: 0 },
      },
    ]);
    expect(outcome.missingAtHub).toEqual([
      { orderId: 'P-9', kind: 'accrual', points: 10, amountMinor: 0 },
    ]);
    await expectSoundLedger(fixture.ledger);
  });
});
