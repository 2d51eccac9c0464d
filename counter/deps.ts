import type { ExtraPostings, Ledger } from '../ledger/index.ts';
import type { Services } from '../platform/index.ts';

/** What the counter's use cases run on: the hub's services, the ledger, settlement's rule. */
export type CounterDeps = {
  services: Services;
  ledger: Ledger;
  /** Clearing obligations written with every redemption (settlement's rules). */
  clearing?: ExtraPostings;
};
