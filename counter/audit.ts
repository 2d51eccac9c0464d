import { sql } from 'kysely';
import type { Db } from '../platform/index.ts';

/**
 * What the till's tables hold for one partner since a time, for an audit that compares them
 * with what callers were answered (the load runner's): which order got which ledger entry.
 */
export type TillRecords = {
  purchases: Map<string, { entryId: string | null; points: number }>;
  /** By order id; a two-phase redemption also by its hold id (holdOrders). */
  redemptions: Map<string, { holdId: string | null; entryId: string | null; status: string }>;
  holdOrders: Map<string, string>;
  refunds: Map<string, { orderId: string; entryId: string | null; points: number }>;
};

export async function tillRecordsSince(
  db: Db,
  partnerId: string,
  since: Date,
): Promise<TillRecords> {
  const [purchases, redemptions, refunds] = await Promise.all([
    sql<{ order_id: string; entry_id: string | null; points: number }>`
      SELECT order_id, entry_id, points FROM counter_purchases
      WHERE partner_id = ${partnerId} AND created_at >= ${since}`.execute(db),
    sql<{ order_id: string; hold_id: string | null; entry_id: string | null; status: string }>`
      SELECT order_id, hold_id, entry_id, status FROM counter_redemptions
      WHERE partner_id = ${partnerId} AND created_at >= ${since}`.execute(db),
    sql<{ refund_id: string; order_id: string; entry_id: string | null; points: number }>`
      SELECT refund_id, order_id, entry_id, points FROM counter_refunds
      WHERE partner_id = ${partnerId} AND created_at >= ${since}`.execute(db),
  ]);
  const holdOrders = new Map<string, string>();
  for (const r of redemptions.rows) if (r.hold_id) holdOrders.set(r.hold_id, r.order_id);
  return {
    purchases: new Map(
      purchases.rows.map((r) => [r.order_id, { entryId: r.entry_id, points: r.points }]),
    ),
    redemptions: new Map(
      redemptions.rows.map((r) => [
        r.order_id,
        { holdId: r.hold_id, entryId: r.entry_id, status: r.status },
      ]),
    ),
    holdOrders,
    refunds: new Map(
      refunds.rows.map((r) => [
        r.refund_id,
        { orderId: r.order_id, entryId: r.entry_id, points: r.points },
      ]),
    ),
  };
}
