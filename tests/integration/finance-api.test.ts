import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import type { Ledger } from '../../ledger/index.ts';
import { manualClock, newId } from '../../platform/index.ts';
import { runSettlement } from '../../settlement/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { accrueFor, expectSoundLedger, key, ledgerFor } from '../support/ledger.ts';
import {
  newTestPartner,
  signedFetch,
  staffClient,
  staffToken,
  type TestApp,
  type TestPartner,
} from '../support/partners.ts';
import { redeemAt, sha256 } from '../support/settlement.ts';

const clock = manualClock(new Date('2026-07-01T03:00:00Z'));
let hub: TestHub;
let app: TestApp;
let ledger: Ledger;
let finance: string;
let asFinance: ReturnType<typeof staffClient>;
let issuer: TestPartner;
let acceptor: TestPartner;
let periodId: string;

beforeAll(async () => {
  hub = await createTestHub({ clock });
  app = createApp(hub.services);
  ledger = ledgerFor(hub, clock);
  finance = await staffToken(hub, 'finance');
  asFinance = staffClient(app, finance);
  issuer = await newTestPartner(hub);
  acceptor = await newTestPartner(hub);
  const member = newId();
  await accrueFor(ledger, issuer.partner.id, member, 5000);
  await redeemAt(ledger, acceptor.partner.id, member, 1250, 'ORD-1');
  await redeemAt(ledger, acceptor.partner.id, member, 750, 'ORD,2');
  await redeemAt(ledger, acceptor.partner.id, member, 100, 'ORD-3');
  clock.set(new Date('2026-07-01T16:02:00Z'));
  await runSettlement(hub.services.db, clock);
  const row = await hub.services.db
    .selectFrom('settlement_periods')
    .select('id')
    .executeTakeFirstOrThrow();
  periodId = row.id;
});
afterAll(async () => {
  await ledger.close();
  await hub.close();
});

describe('/v1/finance', () => {
  it('lists periods and summarises one: 2100 points at 1 fen, fee 2% (25 + 15 + 2)', async () => {
    const list = await asFinance('GET', '/v1/finance/periods');
    expect(await list.json()).toMatchObject({
      periods: [{ id: periodId, status: 'computed', localDate: '2026-07-01' }],
    });
    const summary = await (await asFinance('GET', `/v1/finance/periods/${periodId}`)).json();
    expect(summary).toMatchObject({
      hubFeesMinor: 42,
      matrix: [{ payerId: issuer.partner.id, payeeId: acceptor.partner.id, amountMinor: 2100 }],
    });
  });

  it('serves a statement as CSV whose sha256 is the digest in the JSON form', async () => {
    const path = `/v1/finance/periods/${periodId}/statements/${issuer.partner.id}`;
    const json = (await (await asFinance('GET', path)).json()) as {
      digest: string;
      totals: { netMinor: number };
    };
    expect(json.totals.netMinor).toBe(-2142);
    const csv = await asFinance('GET', `${path}?format=csv`);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const text = await csv.text();
    expect(text).toContain('"ORD,2"');
    expect(sha256(text)).toBe(json.digest);
  });

  it('refuses staff without the finance role, and a period not yet computed', async () => {
    const admin = await staffToken(hub, 'admin');
    expect((await asFinance('GET', '/v1/finance/periods', undefined, admin)).status).toBe(403);
    expect((await asFinance('GET', `/v1/finance/periods/${newId()}`)).status).toBe(404);
  });

  it('approves, then records one payment per partner and marks the period paid', async () => {
    const approved = await asFinance('POST', `/v1/finance/periods/${periodId}/approve`);
    expect(await approved.json()).toMatchObject({ status: 'approved' });
    const again = await asFinance('POST', `/v1/finance/periods/${periodId}/approve`);
    expect(again.status).toBe(409);
    const second = await staffToken(hub, 'finance');
    const paid = await asFinance(
      'POST',
      `/v1/finance/periods/${periodId}/paid`,
      {
        payments: [
          { partnerId: issuer.partner.id, reference: 'IN-0001' },
          { partnerId: acceptor.partner.id, reference: 'OUT-0001' },
        ],
      },
      second,
    );
    expect(await paid.json()).toMatchObject({ status: 'paid' });
    await expectSoundLedger(ledger);
  });
});

describe('GET /v1/partner/statements/{periodId}', () => {
  it('gives a partner its own statement, JSON or CSV, and nobody else’s', async () => {
    const res = await signedFetch(hub, app, acceptor.key, {
      method: 'GET',
      path: `/v1/partner/statements/${periodId}`,
    });
    const body = (await res.json()) as {
      partnerId: string;
      totals: { netMinor: number };
      lines: unknown[];
    };
    expect(body).toMatchObject({ partnerId: acceptor.partner.id, totals: { netMinor: 2100 } });
    expect(body.lines).toHaveLength(3);
    const csv = await signedFetch(hub, app, issuer.key, {
      method: 'GET',
      path: `/v1/partner/statements/${periodId}?format=csv`,
    });
    expect((await csv.text()).split('\n')[1]).toContain(',issuer,');
  });

  it('lists the computed periods with the partner’s own net', async () => {
    const res = await signedFetch(hub, app, issuer.key, {
      method: 'GET',
      path: '/v1/partner/statements',
    });
    expect(await res.json()).toMatchObject({ periods: [{ periodId, netMinor: -2142 }] });
  });
});

describe('reconciliation', () => {
  const file = [
    'order_id,kind,points,amount_minor',
    'ORD-1,redemption,1250,1250',
    '"ORD,2",redemption,700,700',
    'ORD-9,redemption,10,10',
    '',
  ].join('\r\n');
  const expected = {
    matched: 1,
    mismatched: [
      {
        orderId: 'ORD,2',
        kind: 'redemption',
        partner: { orderId: 'ORD,2', kind: 'redemption', points: 700, amountMinor: 700 },
        hub: { orderId: 'ORD,2', kind: 'redemption', points: 750, amountMinor: 750 },
      },
    ],
    missingAtHub: [{ orderId: 'ORD-9', kind: 'redemption', points: 10, amountMinor: 10 }],
    missingAtPartner: [{ orderId: 'ORD-3', kind: 'redemption', points: 100, amountMinor: 100 }],
    truncated: false,
    counts: { missingAtHub: 1, missingAtPartner: 1, mismatched: 1 },
    byKind: [
      { kind: 'accrual', matched: 0, missingAtHub: 0, missingAtPartner: 0, mismatched: 0 },
      { kind: 'accrual_clawback', matched: 0, missingAtHub: 0, missingAtPartner: 0, mismatched: 0 },
      { kind: 'redemption', matched: 1, missingAtHub: 1, missingAtPartner: 1, mismatched: 1 },
      {
        kind: 'redemption_reversal',
        matched: 0,
        missingAtHub: 0,
        missingAtPartner: 0,
        mismatched: 0,
      },
    ],
  };

  it('answers a partner: matched, missing on either side, mismatched with both values', async () => {
    const res = await signedFetch(hub, app, acceptor.key, {
      method: 'POST',
      path: `/v1/partner/reconciliations/${periodId}`,
      rawBody: file,
      idempotencyKey: key('rec'),
    });
    expect(await res.json()).toEqual(expected);
  });

  it('takes a file streamed by finance on the partner’s behalf, chunk by chunk', async () => {
    const bytes = new TextEncoder().encode(file);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        // Chunks of 7 bytes: lines arrive cut in the middle.
        for (let i = 0; i < bytes.length; i += 7) controller.enqueue(bytes.slice(i, i + 7));
        controller.close();
      },
    });
    const res = await app.request(
      `/v1/finance/periods/${periodId}/reconciliations/${acceptor.partner.id}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${finance}`, 'content-type': 'text/csv' },
        body,
        duplex: 'half',
      } as RequestInit,
    );
    expect(await res.json()).toEqual(expected);
  });

  it('refuses a file without its header, naming the line, and a file that is not CSV', async () => {
    const path = `/v1/finance/periods/${periodId}/reconciliations/${acceptor.partner.id}`;
    const send = (contentType: string, body: string) =>
      app.request(path, {
        method: 'POST',
        headers: { authorization: `Bearer ${finance}`, 'content-type': contentType },
        body,
      });
    const headless = await send('text/csv', 'nonsense\nORD-1,redemption,1,1\n');
    expect(headless.status).toBe(400);
    expect(await headless.json()).toMatchObject({ errors: [{ field: 'file.line.1' }] });
    const empty = await send('text/csv', '');
    expect(await empty.json()).toMatchObject({ errors: [{ field: 'file.line.1' }] });
    const json = await send('application/json', '"nonsense"');
    expect(json.status).toBe(415);
    expect(await json.json()).toMatchObject({ type: '/docs/problems#unsupported_media_type' });
  });
});
