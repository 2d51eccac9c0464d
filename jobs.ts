import type { Domains } from './domains.ts';
import { ledgerJobs } from './ledger/index.ts';
import { memberJobDefinitions, membershipFeeRecorder } from './members/index.ts';
import { idempotencyCleanupJob, webhookJobs } from './partners/index.ts';
import type { JobDefinition } from './platform/index.ts';
import { liabilitySnapshotJob, settlementJob } from './settlement/index.ts';

/** Every background job the `work` role runs, gathered from the domains that own them. */
export function jobDefinitions(domains: Domains): JobDefinition[] {
  return [
    ...ledgerJobs(domains.ledger, { expiryPostings: domains.expiryPostings }),
    ...memberJobDefinitions(
      domains.paymentProvider
        ? {
            paymentProvider: domains.paymentProvider,
            recordMembershipFee: membershipFeeRecorder(domains.ledger),
          }
        : null,
    ),
    idempotencyCleanupJob,
    ...webhookJobs,
    settlementJob,
    liabilitySnapshotJob,
  ];
}
