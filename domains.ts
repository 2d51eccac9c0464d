import {
  createLedger,
  type ExpiryPostings,
  type ExtraPostings,
  type Ledger,
  processShards,
} from './ledger/index.ts';
import { demoPaymentProvider, type PaymentProvider } from './members/index.ts';
import type { Services } from './platform/index.ts';
import { breakagePostings, clearingPostings, loadSettlementSettings } from './settlement/index.ts';

/**
 * The domain objects one hub process builds at start-up and shares: the ledger with its
 * group-commit writer, and the alliance's money rules that every redemption and expiry writes
 * into the same ledger entry (clearing obligations, breakage share). The rules are read once,
 * so a change of rate takes effect at the next start.
 */
export type Domains = {
  ledger: Ledger;
  clearing: ExtraPostings;
  expiryPostings: ExpiryPostings;
  /**
   * How members pay for the paid membership. Demo mode has the demo provider (confirms at
   * once); otherwise an operator plugs in a provider adapter here, and without one buying is
   * refused (503, reason no_payment_provider).
   */
  paymentProvider: PaymentProvider | null;
};

export async function openDomains(services: Services): Promise<Domains> {
  const settings = await loadSettlementSettings(services.db);
  return {
    // Each process of a machine writes its own shards of the issuers' accounts (HUB_PROCESSES).
    ledger: createLedger(services, {}, processShards(services.config.processes)),
    clearing: clearingPostings(settings),
    expiryPostings: breakagePostings(settings),
    paymentProvider: services.config.demo ? demoPaymentProvider() : null,
  };
}
