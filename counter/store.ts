import { createHash } from 'node:crypto';
import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type {
  CounterPurchasesTable,
  CounterRedemptionsTable,
  CounterRefundsTable,
  Db,
} from '../platform/index.ts';

/**
 * The counter's own tables, by the partner's ids: what a purchase or a redemption did and what
 * it was answered (so that a retry is told the same), and refunds. The money is in the ledger;
 * these link a partner's order ids to its entries. Only this file writes SQL on them.
 */

export type PurchaseRow = Selectable<CounterPurchasesTable>;
export type RedemptionRow = Selectable<CounterRedemptionsTable>;
export type RefundRow = Selectable<CounterRefundsTable>;

const orderKey = (partnerId: string, orderId: string) => `${partnerId} ${orderId}`;

/**
 * The digest of what a till said about an order (kept as the row's request_hash), by which a
 * retry is told apart from the same order id with other facts. The facts come in a fixed key
 * order from one place each, so plain JSON is canonical here.
 */
export function factsDigest(facts: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(facts)).digest('base64url');
}

/** The purchases already booked for these orders, keyed `${partnerId} ${orderId}`. */
export async function purchasesForOrders(
  db: Db,
  orders: Array<{ partnerId: string; orderId: string }>,
): Promise<Map<string, PurchaseRow>> {
  if (orders.length === 0) return new Map();
  const { rows } = await sql<PurchaseRow>`
    SELECT p.* FROM counter_purchases p
    JOIN unnest(${orders.map((o) => o.partnerId)}::uuid[], ${orders.map((o) => o.orderId)}::text[])
      AS w(partner_id, order_id) ON p.partner_id = w.partner_id AND p.order_id = w.order_id`.execute(
    db,
  );
  return new Map(rows.map((r) => [orderKey(r.partner_id, r.order_id), r]));
}

export { orderKey };

export type NewPurchase = {
  partnerId: string;
  orderId: string;
  memberId: string;
  storeId: string;
  amountMinor: number;
  points: number;
  /** Points the paid membership added ("saved so far"). */
  paidExtraPoints: number;
  entryId: string | null;
  purchasedAt: Date;
  requestHash: string;
  answer: string;
};

/** Inserts purchases in one statement; returns how many were new (the rest existed). */
export async function insertPurchases(db: Db, rows: NewPurchase[]): Promise<number> {
  if (rows.length === 0) return 0;
  const { rows: inserted } = await sql<{ order_id: string }>`
    INSERT INTO counter_purchases (partner_id, order_id, member_id, store_id, amount_minor, points,
      entry_id, purchased_at, request_hash, answer, paid_extra_points)
    SELECT * FROM unnest(${rows.map((r) => r.partnerId)}::uuid[], ${rows.map((r) => r.orderId)}::text[],
      ${rows.map((r) => r.memberId)}::uuid[], ${rows.map((r) => r.storeId)}::uuid[],
      ${rows.map((r) => r.amountMinor)}::int8[], ${rows.map((r) => r.points)}::int8[],
      ${rows.map((r) => r.entryId)}::uuid[], ${rows.map((r) => r.purchasedAt.toISOString())}::timestamptz[],
      ${rows.map((r) => r.requestHash)}::text[], ${rows.map((r) => r.answer)}::text[],
      ${rows.map((r) => r.paidExtraPoints)}::int8[])
    ON CONFLICT (partner_id, order_id) DO NOTHING
    RETURNING order_id`.execute(db);
  return inserted.length;
}

/** A purchase locked for a refund: refunds of one order are decided one at a time. */
export async function lockPurchase(
  db: Db,
  partnerId: string,
  orderId: string,
): Promise<PurchaseRow | undefined> {
  return db
    .selectFrom('counter_purchases')
    .selectAll()
    .where('partner_id', '=', partnerId)
    .where('order_id', '=', orderId)
    .forUpdate()
    .executeTakeFirst();
}

export async function addRefundedAmount(
  db: Db,
  partnerId: string,
  orderId: string,
  refundedMinor: number,
): Promise<void> {
  await db
    .updateTable('counter_purchases')
    .set({ refunded_minor: refundedMinor })
    .where('partner_id', '=', partnerId)
    .where('order_id', '=', orderId)
    .execute();
}

/** A redemption by order (locked: the order's authorisation, capture and refunds queue here). */
export async function lockRedemptionByOrder(
  db: Db,
  partnerId: string,
  orderId: string,
): Promise<RedemptionRow | undefined> {
  return db
    .selectFrom('counter_redemptions')
    .selectAll()
    .where('partner_id', '=', partnerId)
    .where('order_id', '=', orderId)
    .forUpdate()
    .executeTakeFirst();
}

export async function lockRedemptionByHold(
  db: Db,
  partnerId: string,
  holdId: string,
): Promise<RedemptionRow | undefined> {
  return db
    .selectFrom('counter_redemptions')
    .selectAll()
    .where('partner_id', '=', partnerId)
    .where('hold_id', '=', holdId)
    .forUpdate()
    .executeTakeFirst();
}

export type NewRedemption = {
  partnerId: string;
  orderId: string;
  memberId: string;
  storeId: string;
  orderAmountMinor: number;
  points: number;
  holdId: string | null;
  entryId: string | null;
  status: 'authorised' | 'redeemed';
  requestHash: string;
  answer: string;
};

/** Inserts a redemption; false when the order has one already (a concurrent request won). */
export async function insertRedemption(db: Db, r: NewRedemption): Promise<boolean> {
  const inserted = await db
    .insertInto('counter_redemptions')
    .values({
      partner_id: r.partnerId,
      order_id: r.orderId,
      member_id: r.memberId,
      store_id: r.storeId,
      order_amount_minor: r.orderAmountMinor,
      points: r.points,
      hold_id: r.holdId,
      entry_id: r.entryId,
      status: r.status,
      request_hash: r.requestHash,
      answer: r.answer,
    })
    .onConflict((oc) => oc.columns(['partner_id', 'order_id']).doNothing())
    .returning('order_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** An authorisation ended by capture or void: its new state and what the till was told. */
export async function finishRedemption(
  db: Db,
  row: RedemptionRow,
  finish: {
    status: 'captured' | 'voided';
    entryId?: string;
    points?: number;
    request: string;
    answer: string;
    at: Date;
  },
): Promise<void> {
  await db
    .updateTable('counter_redemptions')
    .set({
      status: finish.status,
      entry_id: finish.entryId ?? row.entry_id,
      points: finish.points ?? row.points,
      finish_request: finish.request,
      finish_answer: finish.answer,
      updated_at: finish.at,
    })
    .where('partner_id', '=', row.partner_id)
    .where('order_id', '=', row.order_id)
    .execute();
}

export async function markRedemptionRefunded(db: Db, row: RedemptionRow, at: Date): Promise<void> {
  await db
    .updateTable('counter_redemptions')
    .set({ status: 'refunded', updated_at: at })
    .where('partner_id', '=', row.partner_id)
    .where('order_id', '=', row.order_id)
    .execute();
}

export async function findRefund(
  db: Db,
  partnerId: string,
  refundId: string,
): Promise<RefundRow | undefined> {
  return db
    .selectFrom('counter_refunds')
    .selectAll()
    .where('partner_id', '=', partnerId)
    .where('refund_id', '=', refundId)
    .executeTakeFirst();
}

export async function insertRefund(
  db: Db,
  r: {
    partnerId: string;
    refundId: string;
    orderId: string;
    kind: 'purchase' | 'redemption';
    amountMinor: number;
    points: number;
    unrecoveredPoints: number;
    entryId: string | null;
  },
): Promise<void> {
  await db
    .insertInto('counter_refunds')
    .values({
      partner_id: r.partnerId,
      refund_id: r.refundId,
      order_id: r.orderId,
      kind: r.kind,
      amount_minor: r.amountMinor,
      points: r.points,
      unrecovered_points: r.unrecoveredPoints,
      entry_id: r.entryId,
    })
    .execute();
}
