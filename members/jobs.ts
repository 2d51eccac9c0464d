import type { JobDefinition } from '../platform/index.ts';
import { expirePaidMemberships } from './paid.ts';
import { deleteOldPayCodeUses } from './pay-codes.ts';
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

export const memberJobDefinitions: JobDefinition[] = [
  tierReviewJob,
  paidMembershipExpiryJob,
  memberSegmentsJob,
  payCodeUsesCleanupJob,
];
