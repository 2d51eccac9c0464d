import { sql } from 'kysely';
import type { Db } from './db.ts';
import { newId } from './ids.ts';

/**
 * The outbox of events that partners may be told about. Every domain writes its events here,
 * with the caller's transaction, so an event exists exactly when the change it reports
 * committed; none is written after a rollback and none is lost after a commit. The partners
 * domain fans them out to webhook endpoints (partners/webhooks.ts), reading them through the
 * functions below: the table is platform's, since the ledger, members, the counter and
 * settlement all write it and none of them may import partners.
 */

/** Every event type, with what it tells the partner (documented in /openapi.json). */
export const eventTypes = {
  'hold.expired':
    'An authorisation (hold) passed its deadline unconfirmed; its points went back to the member.',
  'hold.voided': 'An authorisation (hold) was voided; its points went back to the member.',
  'redemption.captured':
    'Points paid for an order: a hold captured, or a one-step redemption (holdId null).',
  'refund.booked': 'A refund of a purchase or of a redemption was booked.',
  'member.tier_changed': 'A member linked to you moved to another tier.',
  'member.consent_withdrawn':
    'A member linked to you withdrew a consent (marketing or partner sharing): stop using it.',
  'settlement.period_computed': 'A settlement period in which you have a position was computed.',
  'settlement.period_approved':
    'Finance approved a settlement period in which you have a position.',
  'settlement.period_paid': 'A settlement period in which you have a position was paid.',
} as const;

export type EventType = keyof typeof eventTypes;
export const eventTypeNames = Object.keys(eventTypes) as [EventType, ...EventType[]];

export type NewEvent = {
  type: EventType;
  occurredAt: Date;
  /** The partners the event concerns; an event that concerns nobody is not written. */
  audience: string[];
  /** What every partner of the audience is told. */
  data: Record<string, unknown>;
  /** What one partner alone is told besides (its own customer id, its own net), by partner id. */
  audienceData?: Record<string, Record<string, unknown>>;
};

export type StoredEvent = {
  id: string;
  type: string;
  occurred_at: Date;
  audience: string[];
  data: Record<string, unknown>;
  audience_data: Record<string, Record<string, unknown>>;
};

/** Writes events in the caller's transaction: one statement however many. */
export async function recordEvents(tx: Db, events: NewEvent[]): Promise<void> {
  const rows = events
    .map((e) => ({ ...e, audience: [...new Set(e.audience)] }))
    .filter((e) => e.audience.length > 0)
    .map((e) => ({
      id: newId(),
      type: e.type,
      occurred_at: e.occurredAt,
      audience: e.audience,
      data: e.data,
      audience_data: e.audienceData ?? {},
    }));
  if (rows.length === 0) return;
  await tx.insertInto('events').values(rows).execute();
}

export function recordEvent(tx: Db, event: NewEvent): Promise<void> {
  return recordEvents(tx, [event]);
}

/**
 * Events not yet fanned out, oldest first, locked for the caller's transaction: concurrent
 * dispatchers take disjoint events and never wait on each other.
 */
export async function claimPendingEvents(tx: Db, limitMax: number): Promise<StoredEvent[]> {
  const { rows } = await sql<StoredEvent>`
    SELECT id, type, occurred_at, audience, data, audience_data FROM events
    WHERE dispatched_at IS NULL ORDER BY id LIMIT ${limitMax}
    FOR UPDATE SKIP LOCKED`.execute(tx);
  return rows;
}

export async function markEventsDispatched(tx: Db, ids: string[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await tx.updateTable('events').set({ dispatched_at: at }).where('id', 'in', ids).execute();
}

/** Forgets events fanned out before `before` (their deliveries go with them). */
export async function deleteDispatchedEvents(
  db: Db,
  before: Date,
  limitMax: number,
): Promise<number> {
  const { numAffectedRows } = await sql`
    DELETE FROM events WHERE id IN (
      SELECT id FROM events WHERE dispatched_at < ${before.toISOString()}::timestamptz
      ORDER BY dispatched_at LIMIT ${limitMax})`.execute(db);
  return Number(numAffectedRows ?? 0);
}
