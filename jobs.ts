import { type Ledger, ledgerJobs } from './ledger/index.ts';
import { memberJobDefinitions } from './members/index.ts';
import { idempotencyCleanupJob } from './partners/index.ts';
import type { JobDefinition } from './platform/index.ts';

/** Every background job the `work` role runs, gathered from the domains that own them. */
export function jobDefinitions(domains: { ledger: Ledger }): JobDefinition[] {
  return [...ledgerJobs(domains.ledger), ...memberJobDefinitions, idempotencyCleanupJob];
}
