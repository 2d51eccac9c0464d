import { idempotencyCleanupJob } from './partners/index.ts';
import type { JobDefinition } from './platform/index.ts';

/** Every background job the `work` role runs, gathered from the domains that own them. */
export const jobDefinitions: JobDefinition[] = [idempotencyCleanupJob];
