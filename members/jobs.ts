import type { JobDefinition } from '../platform/index.ts';
import { expirePaidMemberships, type RecordMembershipFee } from './paid.ts';
import { deleteOldPayCodeUses } from './pay-codes.ts';
import { failStalePayments, type PaymentProvider } from './payments.ts';
import { chargeRenewals, remindRenewals } from './renewals.ts';
import { computeSegments } from './segments.ts';
import { reviewTiers } from './tiers.ts';

/**
 * The membership's background jobs. Each calls a plain function that tests run directly with
 * a manual clock; each is idempotent (running it twice at once changes nothing more).
 */

/** The daily jobs go over every member: at the alliance's size that takes minutes, not hours. */
const dailyJobTimeoutMs = 30 * 60_000;

/** Downgrades happen only here: members whose review date has come. Daily, early morning. */
export const tierReviewJob: JobDefinition = {
  queue: 'members-tier-review',
  schedule: { pattern: '0 3 * * *', tz: 'Asia/Shanghai' },
  timeoutMs: dailyJobTimeoutMs,
  process: (services) => reviewTiers(services),
};

/** Tidies the status of ended paid terms (benefits already stop by the clock at term end). */
export const paidMembershipExpiryJob: JobDefinition = {
  queue: 'members-paid-expiry',
  schedule: { everyMs: 10 * 60_000 },
  process: (services) => expirePaidMemberships(services),
};

export const memberSegmentsJob: JobDefinition = {
  queue: 'members-segments',
  schedule: { pattern: '30 2 * * *', tz: 'Asia/Shanghai' },
  timeoutMs: dailyJobTimeoutMs,
  process: (services) => computeSegments(services),
};

/** Pay-code uses older than a day: the codes they refused expired long ago. */
export const payCodeUsesCleanupJob: JobDefinition = {
  queue: 'members-pay-code-uses-cleanup',
  schedule: { everyMs: 60 * 60_000 },
  process: async (services) => ({
    deleted: await deleteOldPayCodeUses(services.db, services.clock.now()),
  }),
};

/** Payments that never settled are failed a day on: the member was not charged. */
export const stalePaymentsJob: JobDefinition = {
  queue: 'members-stale-payments',
  schedule: { everyMs: 60 * 60_000 },
  process: (services) => failStalePayments(services),
};

/**
 * Reminders before automatic renewals, and the charges a day before a term ends. Charging
 * needs the payment provider and the ledger's fee posting, so it exists only when the process
 * has a provider.
 */
function renewalJob(payments: {
  paymentProvider: PaymentProvider;
  recordMembershipFee: RecordMembershipFee;
}): JobDefinition {
  return {
    queue: 'members-renewals',
    schedule: { everyMs: 10 * 60_000 },
    process: async (services) => ({
      ...(await remindRenewals(services)),
      ...(await chargeRenewals({ ...services, ...payments })),
    }),
  };
}

export function memberJobDefinitions(
  payments: { paymentProvider: PaymentProvider; recordMembershipFee: RecordMembershipFee } | null,
): JobDefinition[] {
  return [
    tierReviewJob,
    paidMembershipExpiryJob,
    memberSegmentsJob,
    payCodeUsesCleanupJob,
    stalePaymentsJob,
    ...(payments ? [renewalJob(payments)] : []),
  ];
}
