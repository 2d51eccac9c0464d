import { sql } from 'kysely';
import type { Tx } from './journal.ts';

export type SpendableLot = { id: string; issuer_partner_id: string; spendable: number };
export type LotTake = { lotId: string; issuerPartnerId: string; points: number };

/** A member's unexpired lots with points not yet spent or held, oldest first, locked. */
export async function spendableLots(tx: Tx, accountId: string, now: Date): Promise<SpendableLot[]> {
  const { rows } = await sql<SpendableLot>`
    SELECT id, issuer_partner_id, remaining - held AS spendable FROM ledger_lots
    WHERE account_id = ${accountId} AND remaining > held AND expires_at > ${now.toISOString()}::timestamptz
    ORDER BY issued_at, id
    FOR UPDATE`.execute(tx);
  return rows;
}

/** Oldest first, as many points as the lots hold up to `points`. */
export function takeOldest(lots: SpendableLot[], points: number): LotTake[] {
  const takes: LotTake[] = [];
  let left = points;
  for (const lot of lots) {
    if (left === 0) break;
    const n = Math.min(lot.spendable, left);
    if (n > 0) takes.push({ lotId: lot.id, issuerPartnerId: lot.issuer_partner_id, points: n });
    left -= n;
  }
  return takes;
}

/** Oldest first until the points are covered; undefined when the lots do not cover them. */
export function takeOldestFirst(lots: SpendableLot[], points: number): LotTake[] | undefined {
  const takes = takeOldest(lots, points);
  return sumTakes(takes) === points ? takes : undefined;
}

/** What a member is told when the lots cannot cover a request. */
export function shortfall(lots: SpendableLot[], points: number): string {
  return `The member has ${sumTakes(takeOldest(lots, Number.MAX_SAFE_INTEGER))} points available, ${points} asked.`;
}

export function sumTakes(takes: LotTake[]): number {
  return takes.reduce((s, t) => s + t.points, 0);
}

/** Changes lots' remaining and held amounts by the given deltas, in one statement. */
export async function adjustLots(
  tx: Tx,
  changes: Array<{ lotId: string; remainingDelta: number; heldDelta: number }>,
): Promise<void> {
  if (changes.length === 0) return;
  await sql`
    UPDATE ledger_lots l SET remaining = l.remaining + c.r, held = l.held + c.h
    FROM unnest(${changes.map((c) => c.lotId)}::uuid[], ${changes.map((c) => c.remainingDelta)}::int8[],
      ${changes.map((c) => c.heldDelta)}::int8[]) AS c(id, r, h)
    WHERE l.id = c.id`.execute(tx);
}

export type Movement = { entryId: string; lotId: string; issuerPartnerId: string; points: number };

/** Records which issuer's lots entries took points from (positive) or returned them to (negative). */
export async function recordMovements(tx: Tx, movements: Movement[]): Promise<void> {
  if (movements.length === 0) return;
  await sql`
    INSERT INTO ledger_lot_movements (entry_id, lot_id, issuer_partner_id, points)
    SELECT * FROM unnest(${movements.map((m) => m.entryId)}::uuid[], ${movements.map((m) => m.lotId)}::uuid[],
      ${movements.map((m) => m.issuerPartnerId)}::uuid[], ${movements.map((m) => m.points)}::int8[])`.execute(
    tx,
  );
}

export function movementsOf(entryId: string, takes: LotTake[], sign: 1 | -1): Movement[] {
  return takes.map((t) => ({
    entryId,
    lotId: t.lotId,
    issuerPartnerId: t.issuerPartnerId,
    points: sign * t.points,
  }));
}

/** Points taken per issuer: the postings to issuers' accounts, one per issuer. */
export function perIssuer(takes: LotTake[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const t of takes) sums.set(t.issuerPartnerId, (sums.get(t.issuerPartnerId) ?? 0) + t.points);
  return sums;
}
