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

/** The invariant check every money-moving test ends with. */
export async function expectSoundLedger(ledger: Ledger): Promise<void> {
  expect(await ledger.verify()).toEqual([]);
}
