import { expect } from 'vitest';
import { createLedger, type Ledger } from '../../ledger/index.ts';
import { type Clock, newId } from '../../platform/index.ts';
import type { TestHub } from './hub.ts';

export const farFuture = new Date('2099-01-01T00:00:00Z');

export function ledgerFor(
  hub: TestHub,
  clock?: Clock,
  writer: Parameters<typeof createLedger>[1] = {},
): Ledger {
  return createLedger(
    { db: hub.services.db, clock: clock ?? hub.services.clock, logger: hub.services.logger },
    { lingerMs: 1, ...writer },
  );
}

/** Fresh ids for a partner and a member: ledger tests need no rows elsewhere. */
export function parties(): { partner: string; other: string; member: string } {
  return { partner: newId(), other: newId(), member: newId() };
}

export function key(label = 'k'): string {
  return `${label}-${newId()}`;
}

/** An accrual of `points` from `partnerId` to `memberId` under a fresh idempotency key. */
export function accrueFor(
  ledger: Ledger,
  partnerId: string,
  memberId: string,
  points: number,
  expiresAt: Date = farFuture,
) {
  return ledger.accrue({ partnerId, memberId, points, idempotencyKey: key('acc'), expiresAt });
}

/** A redemption of `points` by `memberId` at `partnerId` under a fresh idempotency key. */
export function redeemFor(ledger: Ledger, partnerId: string, memberId: string, points: number) {
  return ledger.redeem({ partnerId, memberId, points, idempotencyKey: key('red') });
}

/** A hold of `points` on `memberId` for `partnerId` until `expiresAt`, under a fresh key. */
export function holdFor(
  ledger: Ledger,
  partnerId: string,
  memberId: string,
  points: number,
  expiresAt: Date,
) {
  return ledger.hold({ partnerId, memberId, points, idempotencyKey: key('hold'), expiresAt });
}

/** The invariant check every money-moving test ends with. */
export async function expectSoundLedger(ledger: Ledger): Promise<void> {
  expect(await ledger.verify()).toEqual([]);
}
