import { createHash } from 'node:crypto';
import { type Job, Queue } from 'bullmq';
import {
  deleteDispatchedEvents,
  type JobDefinition,
  killPoint,
  queuePrefix,
  type Services,
} from '../platform/index.ts';
import {
  type ClaimedDelivery,
  claimDelivery,
  dueDeliveries,
  fanOutEvents,
  recordAttempt,
} from './webhook-deliveries.ts';
import { postWebhook } from './webhook-sender.ts';

/**
 * The webhook workers. The dispatcher runs every second: it fans pending events out into
 * deliveries (webhook-deliveries.ts) and puts every due delivery on the delivery queue, one
 * job per attempt. A delivery job makes one attempt, signed by the hub like a receipt. What is
 * due lives in PostgreSQL, so a job lost with Redis, or a worker killed mid-attempt, only
 * delays a delivery: the dispatcher finds it due again.
 */

export const webhookSignatureHeaderName = 'hub-webhook-signature';
export const webhookPayloadType = 'hub-webhook/v1';
export const webhookDeliveryQueue = 'webhook-deliveries';

/** Rounds of fan-out per dispatcher run; each takes up to 200 events. */
const fanOutRoundsMax = 10;
/** Due deliveries queued per dispatcher run. */
const enqueueMax = 1000;
/** How long dispatched events (and their deliveries and attempts) are kept. */
const retentionMs = 30 * 86_400_000;

export type WebhookSignaturePayload = {
  typ: typeof webhookPayloadType;
  partnerId: string;
  endpointId: string;
  deliveryId: string;
  eventId: string;
  eventType: string;
  /** base64url SHA-256 of the exact body bytes. */
  bodyDigest: string;
  issuedAt: string;
};

/** The headers of one attempt; the signature is made afresh for each (a new issuedAt). */
export async function webhookHeaders(
  services: Services,
  delivery: ClaimedDelivery,
): Promise<Record<string, string>> {
  const payload: WebhookSignaturePayload = {
    typ: webhookPayloadType,
    partnerId: delivery.partnerId,
    endpointId: delivery.endpointId,
    deliveryId: delivery.id,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    bodyDigest: createHash('sha256').update(delivery.body).digest('base64url'),
    issuedAt: services.clock.now().toISOString(),
  };
  const signature = await services.hubSigner.signCompact(
    new TextEncoder().encode(JSON.stringify(payload)),
    { typ: 'hub-webhook+jws' },
  );
  return {
    'content-type': 'application/json',
    'user-agent': 'alliance-hub-webhooks/1',
    'hub-event-id': delivery.eventId,
    'hub-event-type': delivery.eventType,
    'hub-delivery-id': delivery.id,
    'hub-delivery-attempt': String(delivery.attempt),
    [webhookSignatureHeaderName]: signature,
  };
}

/** One attempt of one delivery; a job for an attempt already made (or not due) does nothing. */
export async function attemptDelivery(
  services: Services,
  due: { deliveryId: string; attempts: number },
  signal?: AbortSignal,
): Promise<string> {
  const { webhooks } = services.config;
  const claimed = await claimDelivery(services.db, {
    deliveryId: due.deliveryId,
    attempts: due.attempts,
    now: services.clock.now(),
    // Past this, the attempt's worker is taken for dead and the delivery is due again.
    leaseMs: 2 * webhooks.timeoutMs + 1_000,
  });
  if (!claimed) return 'skipped';
  const result = await postWebhook({
    url: claimed.url,
    body: claimed.body,
    headers: await webhookHeaders(services, claimed),
    timeoutMs: webhooks.timeoutMs,
    allowPrivate: webhooks.allowPrivate,
    signal,
  });
  killPoint(services.config, 'webhook-after-post');
  return recordAttempt(services.db, services.config, claimed, result, services.clock.now());
}

async function enqueueDue(services: Services): Promise<number> {
  const due = await dueDeliveries(services.db, services.clock.now(), enqueueMax);
  if (due.length === 0) return 0;
  const queue = new Queue(webhookDeliveryQueue, {
    connection: services.queueRedis,
    prefix: queuePrefix(services.config),
  });
  // A Redis error fails addBulk below (and the run, retried next second); not the process.
  queue.on('error', () => {});
  try {
    // One job id per attempt: queuing the same attempt again while it waits adds nothing.
    await queue.addBulk(
      due.map((d) => ({
        name: webhookDeliveryQueue,
        data: { deliveryId: d.id, attempts: d.attempts },
        opts: {
          jobId: `${d.id}.${d.attempts}`,
          attempts: 1,
          removeOnComplete: true,
          removeOnFail: 1000,
        },
      })),
    );
  } finally {
    await queue.close();
  }
  return due.length;
}

export const webhookDispatchJob: JobDefinition = {
  queue: 'webhook-dispatch',
  schedule: { everyMs: 1_000 },
  timeoutMs: 60_000,
  process: async (services) => {
    let events = 0;
    for (let round = 0; round < fanOutRoundsMax; round += 1) {
      const taken = await fanOutEvents(services.db, services.config, services.clock.now());
      events += taken;
      if (taken === 0) break;
    }
    return { events, queued: await enqueueDue(services) };
  },
};

export const webhookDeliveryJob: JobDefinition = {
  queue: webhookDeliveryQueue,
  concurrency: 16,
  // Longer than any attempt may take (WEBHOOK_TIMEOUT_MS is at most a minute).
  timeoutMs: 90_000,
  process: (services, job: Job, signal) => {
    const data = job.data as { deliveryId: string; attempts: number };
    return attemptDelivery(services, data, signal);
  },
};

export const webhookCleanupJob: JobDefinition = {
  queue: 'webhook-cleanup',
  schedule: { everyMs: 60 * 60_000 },
  process: async (services) => {
    const before = new Date(services.clock.now().getTime() - retentionMs);
    return { deleted: await deleteDispatchedEvents(services.db, before, 10_000) };
  },
};

export const webhookJobs: JobDefinition[] = [
  webhookDispatchJob,
  webhookDeliveryJob,
  webhookCleanupJob,
];
