import { type Counter, createCounter } from '../../counter/index.ts';
import { createLedger, type Ledger } from '../../ledger/index.ts';
import { enrolAtPartner, issuePayCode } from '../../members/index.ts';
import { addStore } from '../../partners/index.ts';
import type { TestHub } from './hub.ts';
import { accrueFor } from './ledger.ts';
import { uniqueCode } from './partners.ts';

export type PurchaseBody = {
  orderId: string;
  storeCode: string;
  amountMinor: number;
  purchasedAt: string;
  member: { customerId: string } | { memberId: string };
};

export type CounterFixture = {
  storeCode: string;
  members: Array<{ memberId: string; customerId: string }>;
  ledger: Ledger;
  /** The till's use cases on that ledger, called in process (no HTTP). */
  counter: Counter;
  /** A fresh pay code, from the members in turn (each may ask for a few codes a minute). */
  payCode(): Promise<{ code: string; memberId: string }>;
  purchase(overrides?: Partial<PurchaseBody>): PurchaseBody;
  redemption(overrides?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Holds points for a new order through the counter's own function; returns the hold id. */
  authorise(points?: number): Promise<string>;
};

/** A store and members of one partner, each member holding `points` of that partner's points. */
export async function counterFixture(
  hub: TestHub,
  partnerId: string,
  options: { members?: number; points?: number } = {},
): Promise<CounterFixture> {
  const storeCode = uniqueCode('ST');
  await addStore(hub.services.db, partnerId, { code: storeCode, name: 'Counter' });
  const ledger = createLedger(hub.services);
  const members: CounterFixture['members'] = [];
  for (let i = 0; i < (options.members ?? 8); i += 1) {
    const customerId = uniqueCode('C');
    const { member } = await enrolAtPartner(hub.services, {
      partnerId,
      partnerCustomerId: customerId,
      email: `${customerId.toLowerCase()}@example.test`,
    });
    if ((options.points ?? 100_000) > 0) {
      await accrueFor(ledger, partnerId, member.id, options.points ?? 100_000);
    }
    members.push({ memberId: member.id, customerId });
  }
  const counter = createCounter({ services: hub.services, ledger });
  let turn = 0;
  const payCode = async () => {
    const m = members[turn++ % members.length];
    if (!m) throw new Error('fixture has no members');
    return { code: (await issuePayCode(hub.services, m.memberId)).code, memberId: m.memberId };
  };
  const redemption = async (overrides: Record<string, unknown> = {}) => ({
    payCode: (await payCode()).code,
    storeCode,
    orderId: uniqueCode('R'),
    orderAmountMinor: 10_000,
    points: 100,
    ...overrides,
  });
  return {
    storeCode,
    members,
    ledger,
    counter,
    payCode,
    purchase: (overrides = {}) => ({
      orderId: uniqueCode('O'),
      storeCode,
      amountMinor: 12_345,
      purchasedAt: hub.services.clock.now().toISOString(),
      member: { customerId: members[0]?.customerId ?? '' },
      ...overrides,
    }),
    redemption,
    authorise: async (points = 100) => {
      const body = await redemption({ points });
      const held = await counter.authorise(partnerId, body as Parameters<Counter['authorise']>[1]);
      return held.answer.holdId;
    },
  };
}
