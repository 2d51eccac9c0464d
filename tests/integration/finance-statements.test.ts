import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import type { Ledger } from '../../ledger/index.ts';
import {
  buyPaidMembership,
  createPaidPlan,
  demoPaymentProvider,
  enrolMember,
  membershipFeeRecorder,
} from '../../members/index.ts';
import { listAudit, manualClock, newId } from '../../platform/index.ts';
import { runSettlement } from '../../settlement/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { accrueFor, expectSoundLedger, ledgerFor } from '../support/ledger.ts';
import {
  newTestPartner,
  staffClient,
  staffToken,
  type TestApp,
  type TestPartner,
  uniqueCode,
} from '../support/partners.ts';
import { redeemAt, sha256 } from '../support/settlement.ts';

/**
 * One day, 2026-07-01 in Shanghai ([2026-06-30T16:00Z, 2026-07-01T16:00Z)), worked by hand:
 * issuer I gives a member 5000 points; acceptor R takes 1250 (ORD-1) and 750 (ORD-2) of them.
 * At 1 fen a point and a 2% fee: I owes R 2000 and the hub 25 + 15 = 40, so I's net is -2040,
 * R's +2000, the hub's fees 40; -2040 + 2000 + 40 = 0. A member buys the paid plan for 299 CNY
 * the same day: the hub's revenue is 29,900 + 40.
 */
const clock = manualClock(new Date('2026-07-01T03:00:00Z'));
let hub: TestHub;
let app: TestApp;
let ledger: Ledger;
let asFinance: ReturnType<typeof staffClient>;
let second: string;
let asAdmin: ReturnType<typeof staffClient>;
let issuer: TestPartner;
let acceptor: TestPartner;
const localDate = '2026-07-01';

beforeAll(async () => {
  hub = await createTestHub({ clock });
  ledger = ledgerFor(hub, clock);
  app = createApp(hub.services, { ledger });
  asFinance = staffClient(app, await staffToken(hub, 'finance'));
  second = await staffToken(hub, 'finance');
  asAdmin = staffClient(app, await staffToken(hub, 'admin'));
  issuer = await newTestPartner(hub);
  acceptor = await newTestPartner(hub);
  const member = newId();
  await accrueFor(ledger, issuer.partner.id, member, 5000);
  await redeemAt(ledger, acceptor.partner.id, member, 1250, 'ORD-1');
  await redeemAt(ledger, acceptor.partner.id, member, 750, 'ORD-2');
  await createPaidPlan(hub.services.db, { code: 'plus', name: 'Plus', feeMinor: 29_900 });
  const payer = await enrolMember(hub.services, {
    email: `${uniqueCode('m').toLowerCase()}@example.test`,
  });
  await buyPaidMembership(
    {
      ...hub.services,
      paymentProvider: demoPaymentProvider(),
      recordMembershipFee: membershipFeeRecorder(ledger),
    },
    { memberId: payer.id, planCode: 'plus', idempotencyKey: 'year-1', purpose: 'subscribe' },
  );
});
afterAll(async () => {
  await ledger.close();
  await hub.close();
});

type PeriodBody = { period: { id: string; status: string; digest: string }; computedNow: boolean };

async function statementCsvOf(periodId: string, partnerId: string) {
  const res = await asFinance(
    'GET',
    `/v1/finance/periods/${periodId}/statements/${partnerId}?format=csv`,
  );
  return { text: await res.text(), signature: res.headers.get('hub-statement-signature') ?? '' };
}

describe('settle on request', () => {
  let periodId: string;

  it('waits for the cut-off and its grace, and says when to come back', async () => {
    clock.set(new Date('2026-07-01T16:01:00Z'));
    const early = await asFinance('POST', '/v1/finance/periods/settle', { localDate });
    expect(early.status).toBe(409);
    expect(early.headers.get('retry-after')).toBe('60');
    expect(await early.json()).toMatchObject({
      type: '/docs/problems#conflict',
      errors: [{ field: 'localDate' }],
    });
    expect(await hub.services.db.selectFrom('settlement_periods').selectAll().execute()).toEqual(
      [],
    );
  });

  it('closes and computes the day once, and again changes nothing', async () => {
    clock.set(new Date('2026-07-01T16:03:00Z'));
    const first = (await (
      await asFinance('POST', '/v1/finance/periods/settle', { localDate })
    ).json()) as PeriodBody;
    expect(first).toMatchObject({ computedNow: true, period: { status: 'computed' } });
    periodId = first.period.id;
    const again = (await (
      await asFinance('POST', '/v1/finance/periods/settle', { localDate })
    ).json()) as PeriodBody;
    expect(again).toMatchObject({ computedNow: false, period: { digest: first.period.digest } });
    const audit = await listAudit(hub.services.db, { limit: 10, actionPrefix: 'period.settle' });
    expect(audit.map((a) => a.subject)).toEqual([periodId]);
  });

  it('writes the bytes the settlement job writes', async () => {
    const before = {
      issuer: (await statementCsvOf(periodId, issuer.partner.id)).text,
      acceptor: (await statementCsvOf(periodId, acceptor.partner.id)).text,
      period: await hub.services.db
        .selectFrom('settlement_periods')
        .select(['digest', 'line_count', 'hub_fees_minor'])
        .where('id', '=', periodId)
        .executeTakeFirstOrThrow(),
    };
    expect(before.period).toEqual({
      digest: expect.any(String),
      line_count: 4,
      hub_fees_minor: 40,
    });
    // Undo the computation (as a crash before its commit would have) and let the job do it.
    const db = hub.services.db;
    await db.deleteFrom('settlement_lines').where('period_id', '=', periodId).execute();
    await db.deleteFrom('settlement_positions').where('period_id', '=', periodId).execute();
    await db
      .updateTable('settlement_periods')
      .set({ status: 'closed', computed_at: null, digest: null, line_count: null })
      .where('id', '=', periodId)
      .execute();
    expect(await runSettlement(db, clock)).toEqual({ closed: 0, computed: 1 });
    expect((await statementCsvOf(periodId, issuer.partner.id)).text).toBe(before.issuer);
    expect((await statementCsvOf(periodId, acceptor.partner.id)).text).toBe(before.acceptor);
    expect(
      await db
        .selectFrom('settlement_periods')
        .select(['digest', 'line_count', 'hub_fees_minor'])
        .where('id', '=', periodId)
        .executeTakeFirstOrThrow(),
    ).toEqual(before.period);
  });

  describe('statements', () => {
    it('answers 404 for a partner that does not exist', async () => {
      const res = await asFinance('GET', `/v1/finance/periods/${periodId}/statements/${newId()}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    });

    it('pages the JSON lines like the CSV is read, with whole-statement totals', async () => {
      const base = `/v1/finance/periods/${periodId}/statements/${acceptor.partner.id}`;
      const one = await (await asFinance('GET', `${base}?limit=1`)).json();
      expect(one).toMatchObject({
        totals: { lineCount: 2, owedByOthersMinor: 2000, netMinor: 2000 },
        lines: [{ line: 1, orderId: 'ORD-1', points: 1250, valueMinor: 1250 }],
        next: 1,
      });
      const two = await (await asFinance('GET', `${base}?limit=1&after=1`)).json();
      expect(two).toMatchObject({
        lines: [{ line: 2, orderId: 'ORD-2', points: 750, valueMinor: 750 }],
        next: null,
      });
    });

    it('keeps the currency the period was settled in', async () => {
      await hub.services.db.updateTable('alliance').set({ currency: 'USD' }).execute();
      try {
        const path = `/v1/finance/periods/${periodId}/statements/${issuer.partner.id}`;
        expect(await (await asFinance('GET', path)).json()).toMatchObject({ currency: 'CNY' });
      } finally {
        await hub.services.db.updateTable('alliance').set({ currency: 'CNY' }).execute();
      }
    });

    it('is signed by the hub over its digest and figures, verifiable against the JWKS', async () => {
      const path = `/v1/finance/periods/${periodId}/statements/${issuer.partner.id}`;
      const json = (await (await asFinance('GET', path)).json()) as { signature: string };
      const csv = await statementCsvOf(periodId, issuer.partner.id);
      expect(csv.signature).toBe(json.signature);
      const jwks = (await (await app.request('/.well-known/jwks.json')).json()) as JSONWebKeySet;
      const { payload, protectedHeader } = await compactVerify(
        json.signature,
        createLocalJWKSet(jwks),
        { algorithms: ['EdDSA'] },
      );
      expect(protectedHeader.typ).toBe('hub-statement+jws');
      expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({
        typ: 'hub-statement/v1',
        periodId,
        localDate,
        startsAt: '2026-06-30T16:00:00.000Z',
        endsAt: '2026-07-01T16:00:00.000Z',
        currency: 'CNY',
        partnerId: issuer.partner.id,
        digest: sha256(csv.text),
        totals: {
          lineCount: 2,
          owedToOthersMinor: 2000,
          owedByOthersMinor: 0,
          feesMinor: 40,
          breakagePoints: 0,
          netMinor: -2040,
        },
        periodDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
        periodHubFeesMinor: 40,
      });
      // A statement altered by one byte no longer matches the signed digest.
      expect(sha256(csv.text.replace('ORD-1', 'ORD-7'))).not.toBe(sha256(csv.text));
    });

    it('verifies with the openssl recipe of docs/settlement.md', async () => {
      const doc = readFileSync(
        fileURLToPath(new URL('../../docs/settlement.md', import.meta.url)),
        'utf8',
      );
      const recipe = /```sh\n(# verify a statement[\s\S]*?)```/.exec(doc)?.[1] ?? '';
      expect(recipe).toContain('openssl pkeyutl -verify');
      const csv = await statementCsvOf(periodId, acceptor.partner.id);
      const dir = mkdtempSync(path.join(tmpdir(), 'statement-'));
      try {
        writeFileSync(path.join(dir, 'statement.csv'), csv.text);
        writeFileSync(path.join(dir, 'statement.jws'), csv.signature);
        writeFileSync(
          path.join(dir, 'jwks.json'),
          await (await app.request('/.well-known/jwks.json')).text(),
        );
        const out = execFileSync('bash', ['-eu', '-c', recipe], { cwd: dir, encoding: 'utf8' });
        const lines = out.trim().split('\n');
        expect(lines[0]).toBe('Signature Verified Successfully');
        expect(lines[1]).toBe(sha256(csv.text));
        expect(lines[2]).toBe(sha256(csv.text));
        // The same recipe on a tampered signature fails.
        const [h, p, s = ''] = csv.signature.split('.');
        const flipped = `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`;
        writeFileSync(path.join(dir, 'statement.jws'), flipped);
        expect(() =>
          execFileSync('bash', ['-eu', '-c', recipe], { cwd: dir, stdio: 'pipe' }),
        ).toThrow();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('bank details, approval under four eyes, the payment file', () => {
    it('keeps every version of a partner’s bank details', async () => {
      const path = `/v1/admin/partners/${acceptor.partner.id}/bank-details`;
      const res = await asAdmin('PUT', path, {
        bankAccountName: 'R, Ltd.',
        bankAccountNumber: '6222000099998888',
        currency: 'CNY',
      });
      expect(res.status).toBe(200);
      const body = (await (await asAdmin('GET', path)).json()) as {
        current: { bankAccountNumber: string; setBy: string };
        history: Array<{ bankAccountNumber: string }>;
      };
      expect(body.current.bankAccountNumber).toBe('6222000099998888');
      expect(body.current.setBy).toMatch(/^staff:/);
      expect(body.history.map((h) => h.bankAccountNumber)).toEqual([
        '6222000099998888',
        '6222000011112222',
      ]);
      const bad = await asAdmin('PUT', path, {
        bankAccountName: 'R',
        bankAccountNumber: 'not a number',
        currency: 'CNY',
      });
      expect(await bad.json()).toMatchObject({ errors: [{ field: 'bankAccountNumber' }] });
      expect(
        (await listAudit(hub.services.db, { limit: 10, actionPrefix: 'partner.bank_details' }))
          .length,
      ).toBe(1);
    });

    it('has no payment file before approval', async () => {
      const res = await asFinance('GET', `/v1/finance/periods/${periodId}/payment-file`);
      expect(res.status).toBe(409);
    });

    it('refuses the approver as payer, and takes the bank’s references from another', async () => {
      expect((await asFinance('POST', `/v1/finance/periods/${periodId}/approve`)).status).toBe(200);
      const payments = {
        payments: [
          { partnerId: issuer.partner.id, reference: 'BANK-IN-77' },
          { partnerId: acceptor.partner.id, reference: 'BANK-OUT-78' },
        ],
      };
      // A partner whose account is in another currency cannot be paid: the file names it.
      const details = `/v1/admin/partners/${acceptor.partner.id}/bank-details`;
      const account = { bankAccountName: 'R, Ltd.', bankAccountNumber: '6222000099998888' };
      await asAdmin('PUT', details, { ...account, currency: 'USD' });
      const mismatch = await asFinance('GET', `/v1/finance/periods/${periodId}/payment-file`);
      expect(mismatch.status).toBe(409);
      expect(await mismatch.json()).toMatchObject({
        errors: [{ field: `partners.${acceptor.partner.id}` }],
      });
      await asAdmin('PUT', details, { ...account, currency: 'CNY' });
      const own = await asFinance('POST', `/v1/finance/periods/${periodId}/paid`, payments);
      expect(own.status).toBe(403);
      expect(own.headers.get('content-type')).toContain('application/problem+json');
      expect(await own.json()).toMatchObject({ type: '/docs/problems#four_eyes_required' });
      const file = await (
        await asFinance('GET', `/v1/finance/periods/${periodId}/payment-file`)
      ).text();
      const [i, r] = [issuer.partner, acceptor.partner];
      expect(file).toBe(
        [
          'line,direction,partner_id,partner_code,account_name,account_number,currency,amount_minor,reference,bank_reference',
          `1,collect,${i.id},${i.code},Test Partner Ltd.,6222000011112222,CNY,2040,AH-20260701-${i.code},`,
          `2,pay,${r.id},${r.code},"R, Ltd.",6222000099998888,CNY,2000,AH-20260701-${r.code},`,
          '',
        ].join('\n'),
      );
      const paid = await asFinance(
        'POST',
        `/v1/finance/periods/${periodId}/paid`,
        payments,
        second,
      );
      expect(await paid.json()).toMatchObject({ status: 'paid' });
      const after = await (
        await asFinance('GET', `/v1/finance/periods/${periodId}/payment-file`)
      ).text();
      expect(after.split('\n')[1]?.endsWith(',BANK-IN-77')).toBe(true);
      expect(after.split('\n')[2]?.endsWith(',BANK-OUT-78')).toBe(true);
    });
  });

  it('reports the period’s revenue: the paid plan’s fee and the clearing fees', async () => {
    const res = await asFinance('GET', `/v1/finance/periods/${periodId}/revenue`);
    expect(await res.json()).toEqual({
      periodId,
      localDate,
      currency: 'CNY',
      membershipFees: { count: 1, amountMinor: 29_900 },
      clearingFeesMinor: 40,
      breakageShareMinor: 0,
      totalMinor: 29_940,
      periodHubFeesMinor: 40,
    });
    await expectSoundLedger(ledger);
  });
});
