import { sql } from 'kysely';
import type { Db } from '../platform/index.ts';

/** One ledger entry as an audit of a partner's orders sees it. */
export type EntryFact = {
  id: string;
  kind: string;
  orderId: string | null;
  refundId: string | null;
  /** What the entry moved on members' points accounts: + earned, - spent. */
  memberPoints: number;
};

/**
 * The entries booked for a partner since a time, with what each moved on members' points,
 * for an audit that compares the ledger with what the partner's callers were answered.
 */
export async function partnerEntriesSince(
  db: Db,
  partnerId: string,
  since: Date,
): Promise<EntryFact[]> {
  const { rows } = await sql<{
    id: string;
    kind: string;
    order_id: string | null;
    refund_id: string | null;
    member_points: number;
  }>`
    SELECT e.id, e.kind, e.metadata->>'orderId' AS order_id, e.metadata->>'refundId' AS refund_id,
      coalesce(sum(p.amount) FILTER (WHERE a.kind = 'member_points'), 0)::int8 AS member_points
    FROM ledger_entries e
    JOIN ledger_postings p ON p.entry_id = e.id
    JOIN ledger_accounts a ON a.id = p.account_id
    WHERE e.partner_id = ${partnerId} AND e.booked_at >= ${since}
    GROUP BY e.id`.execute(db);
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    orderId: r.order_id,
    refundId: r.refund_id,
    memberPoints: r.member_points,
  }));
}
