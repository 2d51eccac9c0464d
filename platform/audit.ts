import { sql } from 'kysely';
import type { AuditEntry, AuditLogTable } from './database.ts';
import type { Db } from './db.ts';
import { newId } from './ids.ts';

/**
 * The audit log: who changed what, when, and the state before and after. Written with the
 * caller's transaction, so an action and its audit line commit together or not at all; the
 * table refuses updates and deletes (migrations/0051_audit_log.ts).
 */

export type AuditActor = { kind: AuditLogTable['actor_kind']; id: string };

export type AuditRecord = {
  actor: AuditActor;
  /** Dotted, lower case: `partner.update`, `settings.tiers`, `period.approve`. */
  action: string;
  /** What was acted on: a partner id, a period id, `alliance`. */
  subject: string;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  at: Date;
};

export async function recordAudit(tx: Db, record: AuditRecord): Promise<void> {
  await tx
    .insertInto('audit_log')
    .values({
      id: newId(),
      at: record.at,
      actor_kind: record.actor.kind,
      actor_id: record.actor.id,
      action: record.action,
      subject: record.subject,
      before: record.before ?? null,
      after: record.after ?? null,
    })
    .execute();
}

export type AuditQuery = {
  /** Only lines whose action starts with this (`settings.` for every settings change). */
  actionPrefix?: string;
  subject?: string;
  /** Keyset paging: the id of the last line of the previous page (ids are time-ordered). */
  after?: string;
  limit: number;
  /** Newest first (a person reading the log), `after` then meaning older than that line. */
  newestFirst?: boolean;
};

/** Lines in the order they were written, oldest first (or newest first when asked). */
export async function listAudit(db: Db, query: AuditQuery): Promise<AuditEntry[]> {
  const direction = query.newestFirst ? 'desc' : 'asc';
  let q = db.selectFrom('audit_log').selectAll().orderBy('id', direction).limit(query.limit);
  if (query.actionPrefix !== undefined) {
    q = q.where(sql<boolean>`starts_with(action, ${query.actionPrefix})`);
  }
  if (query.subject !== undefined) q = q.where('subject', '=', query.subject);
  if (query.after !== undefined) q = q.where('id', query.newestFirst ? '<' : '>', query.after);
  return q.execute();
}
