import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import { type Db, type LedgerHoldsTable, recordEvent } from '../platform/index.ts';
import { lockAccounts, requestHash, type Tx } from './journal.ts';
import { adjustLots, takeOldestFirst } from './lots.ts';
import { type Decision, idempotent, type LedgerDeps, type Replayable, reject } from './requests.ts';
import { type ExtraPostings, type SpendOutcome, spendFromLots } from './spending.ts';
import { validateKey, validatePoints } from './validate.ts';

type HoldRow = Selectable<LedgerHoldsTable>;
type ReservedLot = { id: string; issuer_partner_id: string; spendable: number };

async function lockHold(tx: Tx, holdId: string, partnerId: string): Promise<HoldRow | undefined> {
  return tx
    .selectFrom('ledger_holds')
    .selectAll()
    .where('id', '=', holdId)
    .where('partner_id', '=', partnerId)
    .forUpdate()
    .executeTakeFirst();
}

/** The lots a hold reserved, oldest first. */
async function reservedLots(tx: Tx, holdId: string): Promise<ReservedLot[]> {
  const { rows } = await sql<ReservedLot>`
    SELECT l.id, l.issuer_partner_id, hl.points AS spendable FROM ledger_hold_lots hl
    JOIN ledger_lots l ON l.id = hl.lot_id WHERE hl.hold_id = ${holdId}::uuid
    ORDER BY l.issued_at, l.id`.execute(tx);
  return rows;
}

/** Gives the reservation back: the lots' and the account's held amounts go down. */
async function release(tx: Tx, hold: HoldRow, lots: ReservedLot[]): Promise<void> {
  await adjustLots(
    tx,
    lots.map((l) => ({ lotId: l.id, remainingDelta: 0, heldDelta: -l.spendable })),
  );
  await sql`UPDATE ledger_accounts SET held = held - ${hold.amount}::int8 WHERE id = ${hold.account_id}::uuid`.execute(
    tx,
  );
}

/** Why a hold can no longer be captured, or undefined while it can. */
function whyNotCapturable(hold: HoldRow, now: Date): string | undefined {
  if (hold.status !== 'active') return `The hold is already ${hold.status}.`;
  if (hold.expires_at <= now) return 'The hold has expired.';
  return undefined;
}

export type CaptureInput = {
  partnerId: string;
  holdId: string;
  /** Points to take, at most the held amount; all of it when absent. The rest is released. */
  points?: number;
  idempotencyKey: string;
  metadata?: Record<string, unknown>;
  extraPostings?: ExtraPostings;
  /** A caller's transaction to join (the request commits or rolls back with it). */
  tx?: Db;
};

export async function capture(
  deps: LedgerDeps,
  input: CaptureInput,
): Promise<Replayable<SpendOutcome & { holdId: string; released: number }>> {
  if (input.points !== undefined) validatePoints(input.points, 'points');
  validateKey(input.idempotencyKey);
  const { partnerId, holdId, points, metadata } = input;
  const hash = requestHash({ op: 'capture', partnerId, holdId, points, metadata });
  type Out = SpendOutcome & { holdId: string; released: number };
  return idempotent(
    input.tx ?? deps.db,
    { ownerId: partnerId, key: input.idempotencyKey, hash },
    async (tx): Promise<Decision<Out>> => {
      const now = deps.clock.now();
      const h = await lockHold(tx, holdId, partnerId);
      if (!h) return reject('not_found', 'No such hold for this partner.');
      const refused = whyNotCapturable(h, now);
      if (refused) return reject('conflict', refused);
      const wanted = points ?? h.amount;
      if (wanted > h.amount)
        return reject(
          'business_rule',
          `The hold is for ${h.amount} points; ${wanted} cannot be captured.`,
        );
      await lockAccounts(tx, [h.account_id]);
      const reserved = await reservedLots(tx, holdId);
      const takes = takeOldestFirst(reserved, wanted);
      if (!takes) throw new Error(`ledger: hold ${holdId} reserves fewer points than its amount`);
      await release(tx, h, reserved);
      const spent = await spendFromLots(deps, tx, {
        kind: 'redemption',
        partnerId,
        memberId: h.member_id,
        memberAccount: h.account_id,
        takes,
        issuerKind: 'partner_redeemed',
        metadata: { ...metadata, holdId },
        extra: input.extraPostings,
      });
      await tx
        .updateTable('ledger_holds')
        .set({
          status: 'captured',
          captured_amount: wanted,
          capture_entry_id: spent.entryId,
          finished_at: now,
        })
        .where('id', '=', holdId)
        .execute();
      return { ok: { ...spent, holdId, released: h.amount - wanted }, entryId: spent.entryId };
    },
  );
}

export type VoidInput = {
  partnerId: string;
  holdId: string;
  idempotencyKey: string;
  /** A caller's transaction to join (the request commits or rolls back with it). */
  tx?: Db;
};

export async function voidHold(
  deps: LedgerDeps,
  input: VoidInput,
): Promise<Replayable<{ holdId: string; released: number }>> {
  validateKey(input.idempotencyKey);
  const hash = requestHash({ op: 'void', partnerId: input.partnerId, holdId: input.holdId });
  type Out = { holdId: string; released: number };
  return idempotent(
    input.tx ?? deps.db,
    { ownerId: input.partnerId, key: input.idempotencyKey, hash },
    async (tx): Promise<Decision<Out>> => {
      const now = deps.clock.now();
      const h = await lockHold(tx, input.holdId, input.partnerId);
      if (!h) return reject('not_found', 'No such hold for this partner.');
      if (h.status !== 'active') return reject('conflict', `The hold is already ${h.status}.`);
      await endHold(tx, h, 'voided', now);
      return { ok: { holdId: h.id, released: h.amount }, entryId: null };
    },
  );
}

/**
 * Gives every held point back and closes the hold as voided or expired (nothing is spent); the
 * partner that took the hold is told (hold.voided, hold.expired) in the same transaction.
 */
async function endHold(tx: Tx, h: HoldRow, status: 'voided' | 'expired', now: Date): Promise<void> {
  await lockAccounts(tx, [h.account_id]);
  await release(tx, h, await reservedLots(tx, h.id));
  await tx
    .updateTable('ledger_holds')
    .set({ status, finished_at: now })
    .where('id', '=', h.id)
    .execute();
  const orderId = h.metadata.orderId;
  await recordEvent(tx, {
    type: status === 'voided' ? 'hold.voided' : 'hold.expired',
    occurredAt: now,
    audience: [h.partner_id],
    data: {
      holdId: h.id,
      orderId: typeof orderId === 'string' ? orderId : null,
      memberId: h.member_id,
      points: h.amount,
    },
  });
}

/** Voids holds whose deadline has passed; each in its own short transaction. Returns how many. */
export async function expireHolds(deps: LedgerDeps, limitMax = 500): Promise<number> {
  const now = deps.clock.now();
  const due = await deps.db
    .selectFrom('ledger_holds')
    .select(['id', 'partner_id'])
    .where('status', '=', 'active')
    .where('expires_at', '<=', now)
    .orderBy('expires_at')
    .limit(limitMax)
    .execute();
  let expired = 0;
  for (const d of due) {
    await deps.db.transaction().execute(async (tx) => {
      const h = await lockHold(tx, d.id, d.partner_id);
      if (h?.status !== 'active' || h.expires_at > now) return;
      await endHold(tx, h, 'expired', now);
      expired += 1;
    });
  }
  return expired;
}
