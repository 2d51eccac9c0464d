import { sql } from 'kysely';
import {
  AppError,
  type Config,
  claimPendingEvents,
  type Db,
  markEventsDispatched,
  newId,
  type StoredEvent,
  type WebhookDeliveryStatus,
} from '../platform/index.ts';

/**
 * Deliveries: one event to one endpoint, attempted until the endpoint answers 2xx or the
 * retry window closes. Events come from the outbox (platform/events.ts); each is fanned out
 * in one transaction with the deliveries it makes, so an event is delivered to every endpoint
 * subscribed when it was dispatched, once (a redelivery the partner asks for is a new row).
 */

/** Longest wait between two attempts, whatever the retry base. */
const retryDelayMaxMs = 3_600_000;
/** Events fanned out per transaction. */
const fanOutBatchMax = 200;

/**
 * The wait after failed attempt number `attempt` (1 for the first): the base doubling per
 * attempt, at most an hour, less up to half of it at random so that the retries of many
 * deliveries that failed together (an endpoint down) do not come back together.
 */
export function retryDelayMs(attempt: number, baseMs: number, random = Math.random()): number {
  const full = Math.min(baseMs * 2 ** Math.min(attempt - 1, 30), retryDelayMaxMs);
  return Math.round(full * (1 - random / 2));
}

/** The body every attempt of the delivery sends, fixed when the delivery is made. */
function envelope(event: StoredEvent, partnerId: string): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    occurredAt: new Date(event.occurred_at).toISOString(),
    partnerId,
    data: { ...event.data, ...event.audience_data[partnerId] },
  });
}

/**
 * Fans out up to fanOutBatchMax pending events to the active endpoints subscribed to them, in
 * one transaction with marking them dispatched. Returns how many events it took.
 */
export async function fanOutEvents(
  db: Db,
  config: Pick<Config, 'webhooks'>,
  now: Date,
): Promise<number> {
  return db.transaction().execute(async (tx) => {
    const events = await claimPendingEvents(tx, fanOutBatchMax);
    if (events.length === 0) return 0;
    const partnerIds = [...new Set(events.flatMap((e) => e.audience))];
    const endpoints = await tx
      .selectFrom('webhook_endpoints')
      .select(['id', 'partner_id', 'event_types'])
      .where('status', '=', 'active')
      .where('partner_id', 'in', partnerIds)
      .execute();
    const rows = events.flatMap((event) =>
      endpoints
        .filter((e) => event.audience.includes(e.partner_id) && e.event_types.includes(event.type))
        .map((e) => ({
          id: newId(),
          endpoint_id: e.id,
          partner_id: e.partner_id,
          event_id: event.id,
          event_type: event.type,
          body: envelope(event, e.partner_id),
          status: 'pending' as const,
          next_attempt_at: now,
          give_up_at: new Date(now.getTime() + config.webhooks.retryForMs),
          created_at: now,
        })),
    );
    if (rows.length > 0) {
      await tx
        .insertInto('webhook_deliveries')
        .values(rows)
        .onConflict((oc) =>
          oc.columns(['endpoint_id', 'event_id']).where('redelivery_of', 'is', null).doNothing(),
        )
        .execute();
    }
    await markEventsDispatched(
      tx,
      events.map((e) => e.id),
      now,
    );
    return events.length;
  });
}

/** Deliveries whose next attempt is due, oldest due first, with the attempts made so far. */
export async function dueDeliveries(
  db: Db,
  now: Date,
  limitMax: number,
): Promise<{ id: string; attempts: number }[]> {
  return db
    .selectFrom('webhook_deliveries')
    .select(['id', 'attempts'])
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .orderBy('next_attempt_at')
    .limit(limitMax)
    .execute();
}

export type ClaimedDelivery = {
  id: string;
  partnerId: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  body: string;
  url: string;
  attempt: number;
  giveUpAt: Date;
};

/** What an attempt whose worker died before recording its outcome shows. */
export const noOutcome = 'no outcome recorded: the attempt stopped with its worker';

/**
 * Takes attempt number `attempts + 1` of a due delivery: counts it, logs it as started, and
 * moves the delivery's next attempt past this one's deadline (leaseMs), in one transaction, so
 * that one worker alone makes it, and a worker that dies while making it leaves the delivery
 * due again once the deadline passes. A delivery to an endpoint no longer active ends failed.
 */
export async function claimDelivery(
  db: Db,
  input: { deliveryId: string; attempts: number; now: Date; leaseMs: number },
): Promise<ClaimedDelivery | undefined> {
  const row = await db.transaction().execute(async (tx) => {
    const { rows } = await sql<ClaimRow>`
      UPDATE webhook_deliveries d
      SET attempts = d.attempts + 1,
        next_attempt_at = ${new Date(input.now.getTime() + input.leaseMs).toISOString()}::timestamptz
      FROM webhook_endpoints e
      WHERE d.id = ${input.deliveryId} AND d.status = 'pending' AND d.attempts = ${input.attempts}
        AND d.next_attempt_at <= ${input.now.toISOString()}::timestamptz AND e.id = d.endpoint_id
      RETURNING d.id, d.partner_id, d.endpoint_id, d.event_id, d.event_type, d.body, d.attempts,
        d.give_up_at, e.url, e.status AS endpoint_status`.execute(tx);
    const claimed = rows[0];
    if (claimed?.endpoint_status !== 'active') return claimed;
    await tx
      .insertInto('webhook_attempts')
      .values({
        id: newId(),
        delivery_id: claimed.id,
        attempt: claimed.attempts,
        started_at: input.now,
        duration_ms: null,
        status_code: null,
        error: noOutcome,
      })
      .execute();
    return claimed;
  });
  if (!row) return undefined;
  if (row.endpoint_status !== 'active') {
    await finishDelivery(db, {
      deliveryId: row.id,
      attempt: row.attempts,
      status: 'failed',
      now: input.now,
      error: `the endpoint is ${row.endpoint_status}`,
      uncounted: true,
    });
    return undefined;
  }
  return {
    id: row.id,
    partnerId: row.partner_id,
    endpointId: row.endpoint_id,
    eventId: row.event_id,
    eventType: row.event_type,
    body: row.body,
    url: row.url,
    attempt: row.attempts,
    giveUpAt: new Date(row.give_up_at),
  };
}

type ClaimRow = {
  id: string;
  partner_id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  body: string;
  attempts: number;
  give_up_at: Date;
  url: string;
  endpoint_status: string;
};

export type AttemptResult = {
  startedAt: Date;
  durationMs: number;
  /** The endpoint's answer, if it gave one. */
  statusCode: number | null;
  error: string | null;
};

/**
 * Completes an attempt's log line and decides what follows, in one transaction: delivered on a 2xx; else
 * another attempt after the retry delay, or failed once that would pass the retry window.
 * Only the worker holding the attempt writes it: a late one finds the delivery moved on.
 */
export async function recordAttempt(
  db: Db,
  config: Pick<Config, 'webhooks'>,
  claimed: ClaimedDelivery,
  result: AttemptResult,
  now: Date,
): Promise<WebhookDeliveryStatus> {
  const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
  const retryAt = new Date(
    now.getTime() + retryDelayMs(claimed.attempt, config.webhooks.retryBaseMs),
  );
  const status: WebhookDeliveryStatus = ok
    ? 'delivered'
    : retryAt > claimed.giveUpAt
      ? 'failed'
      : 'pending';
  const error =
    result.error ?? (ok ? null : `the endpoint answered ${result.statusCode ?? 'nothing'}`);
  await db.transaction().execute(async (tx) => {
    await tx
      .updateTable('webhook_attempts')
      .set({
        started_at: result.startedAt,
        duration_ms: Math.max(0, Math.round(result.durationMs)),
        status_code: result.statusCode,
        error: error?.slice(0, 500) ?? null,
      })
      .where('delivery_id', '=', claimed.id)
      .where('attempt', '=', claimed.attempt)
      .execute();
    await finishDelivery(tx, {
      deliveryId: claimed.id,
      attempt: claimed.attempt,
      status,
      now,
      retryAt,
      statusCode: result.statusCode,
      error,
    });
  });
  return status;
}

async function finishDelivery(
  db: Db,
  input: {
    deliveryId: string;
    attempt: number;
    status: WebhookDeliveryStatus;
    now: Date;
    retryAt?: Date;
    statusCode?: number | null;
    error: string | null;
    /** The attempt was never made (the endpoint had gone): it does not count. */
    uncounted?: boolean;
  },
): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set((eb) => ({
      status: input.status,
      attempts: input.uncounted ? eb('attempts', '-', 1) : eb.ref('attempts'),
      next_attempt_at: input.retryAt ?? input.now,
      finished_at: input.status === 'pending' ? null : input.now,
      last_status: input.statusCode ?? null,
      last_error: input.error?.slice(0, 500) ?? null,
    }))
    .where('id', '=', input.deliveryId)
    .where('attempts', '=', input.attempt)
    .where('status', '=', 'pending')
    .execute();
}

export type WebhookDeliveryView = {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  createdAt: Date;
  nextAttemptAt: Date | null;
  finishedAt: Date | null;
  lastStatus: number | null;
  lastError: string | null;
  redeliveryOf: string | null;
};

const deliveryColumns = [
  'id',
  'endpoint_id',
  'event_id',
  'event_type',
  'status',
  'attempts',
  'created_at',
  'next_attempt_at',
  'finished_at',
  'last_status',
  'last_error',
  'redelivery_of',
] as const;

type DeliveryRow = {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  created_at: Date;
  next_attempt_at: Date;
  finished_at: Date | null;
  last_status: number | null;
  last_error: string | null;
  redelivery_of: string | null;
};

function deliveryView(row: DeliveryRow): WebhookDeliveryView {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    createdAt: row.created_at,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at : null,
    finishedAt: row.finished_at,
    lastStatus: row.last_status,
    lastError: row.last_error,
    redeliveryOf: row.redelivery_of,
  };
}

export type DeliveryQuery = {
  partnerId: string;
  endpointId?: string;
  eventId?: string;
  status?: WebhookDeliveryStatus;
  /** Keyset paging: the last id of the previous page (ids are time-ordered). */
  before?: string;
  limit: number;
};

/** A partner's deliveries, newest first. */
export async function listWebhookDeliveries(
  db: Db,
  query: DeliveryQuery,
): Promise<WebhookDeliveryView[]> {
  let q = db
    .selectFrom('webhook_deliveries')
    .select(deliveryColumns)
    .where('partner_id', '=', query.partnerId)
    .orderBy('id', 'desc')
    .limit(query.limit);
  if (query.endpointId !== undefined) q = q.where('endpoint_id', '=', query.endpointId);
  if (query.eventId !== undefined) q = q.where('event_id', '=', query.eventId);
  if (query.status !== undefined) q = q.where('status', '=', query.status);
  if (query.before !== undefined) q = q.where('id', '<', query.before);
  return (await q.execute()).map(deliveryView);
}

export type WebhookDeliveryDetail = WebhookDeliveryView & {
  body: string;
  attemptLog: {
    attempt: number;
    startedAt: Date;
    durationMs: number | null;
    statusCode: number | null;
    error: string | null;
  }[];
};

/** One of the partner's deliveries, with what it sends and every attempt made. */
export async function getWebhookDelivery(
  db: Db,
  partnerId: string,
  deliveryId: string,
): Promise<WebhookDeliveryDetail> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .select([...deliveryColumns, 'body'])
    .where('id', '=', deliveryId)
    .where('partner_id', '=', partnerId)
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', 'No such webhook delivery.');
  const attempts = await db
    .selectFrom('webhook_attempts')
    .select(['attempt', 'started_at', 'duration_ms', 'status_code', 'error'])
    .where('delivery_id', '=', deliveryId)
    .orderBy('attempt')
    .limit(1000)
    .execute();
  return {
    ...deliveryView(row),
    body: row.body,
    attemptLog: attempts.map((a) => ({
      attempt: a.attempt,
      startedAt: a.started_at,
      durationMs: a.duration_ms,
      statusCode: a.status_code,
      error: a.error,
    })),
  };
}

/**
 * The same event to the same endpoint once more, as a new delivery with a fresh retry window
 * (whatever became of the first). The endpoint must be active.
 */
export async function redeliverWebhook(
  db: Db,
  config: Pick<Config, 'webhooks'>,
  input: { partnerId: string; deliveryId: string; now: Date },
): Promise<WebhookDeliveryView> {
  const first = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
    .select([
      'd.id',
      'd.endpoint_id',
      'd.event_id',
      'd.event_type',
      'd.body',
      'd.redelivery_of',
      'e.status as endpoint_status',
    ])
    .where('d.id', '=', input.deliveryId)
    .where('d.partner_id', '=', input.partnerId)
    .executeTakeFirst();
  if (!first) throw new AppError('not_found', 'No such webhook delivery.');
  if (first.endpoint_status !== 'active') {
    throw new AppError('conflict', `The endpoint is ${first.endpoint_status}: nothing is sent.`);
  }
  const row = await db
    .insertInto('webhook_deliveries')
    .values({
      id: newId(),
      endpoint_id: first.endpoint_id,
      partner_id: input.partnerId,
      event_id: first.event_id,
      event_type: first.event_type,
      body: first.body,
      redelivery_of: first.redelivery_of ?? first.id,
      status: 'pending',
      next_attempt_at: input.now,
      give_up_at: new Date(input.now.getTime() + config.webhooks.retryForMs),
      created_at: input.now,
    })
    .returning(deliveryColumns)
    .executeTakeFirstOrThrow();
  return deliveryView(row);
}
