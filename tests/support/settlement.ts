import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { Ledger } from '../../ledger/index.ts';
import { type Db, newId } from '../../platform/index.ts';
import {
  clearingPostings,
  defaultSettlementSettings,
  statementCsv,
} from '../../settlement/index.ts';
import { key } from './ledger.ts';

export const clearing = clearingPostings(defaultSettlementSettings);

/** A redemption at a partner's counter with the clearing obligations, as the partner API books it. */
export async function redeemAt(
  ledger: Ledger,
  partnerId: string,
  memberId: string,
  points: number,
  orderId = `o-${newId()}`,
) {
  return ledger.redeem({
    partnerId,
    memberId,
    points,
    idempotencyKey: key('red'),
    metadata: { orderId },
    extraPostings: clearing,
  });
}

export async function csvOf(db: Db, periodId: string, partnerId: string): Promise<string> {
  let text = '';
  for await (const chunk of await statementCsv(db, { periodId, partnerId })) text += chunk;
  return text;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Every statement line points at a ledger entry of the same kind, booked in the period. */
export async function expectLinesTraceToEntries(db: Db, periodId: string): Promise<void> {
  const orphans = await db
    .selectFrom('settlement_lines as l')
    .innerJoin('settlement_periods as p', 'p.id', 'l.period_id')
    .leftJoin('ledger_entries as e', 'e.id', 'l.entry_id')
    .select(['l.entry_id', 'l.kind', 'e.kind as entry_kind'])
    .where('l.period_id', '=', periodId)
    .where((eb) =>
      eb.or([
        eb('e.id', 'is', null),
        eb('e.kind', '<>', eb.ref('l.kind')),
        eb('e.booked_at', '<', eb.ref('p.starts_at')),
        eb('e.booked_at', '>=', eb.ref('p.ends_at')),
      ]),
    )
    .execute();
  expect(orphans).toEqual([]);
}
