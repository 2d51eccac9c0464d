import { sql } from 'kysely';
import { type Db, newId } from '../platform/index.ts';
import { pointsAsset } from './accounts.ts';
import { appendEntries, lockAccounts, requestHash, type Tx } from './journal.ts';
import { adjustLots, type LotTake, movementsOf, recordMovements, sumTakes } from './lots.ts';
import { type Decision, idempotent, type LedgerDeps, type Replayable, reject } from './requests.ts';
import { validateKey } from './validate.ts';

export type ReverseInput = {
  /** The partner that booked the original entry; owner of the idempotency key. */
  partnerId: string;
  entryId: string;
  idempotencyKey: string;
  reason?: string;
  /** A caller's transaction to join (the request commits or rolls back with it). */
  tx?: Db;
};

export type ReverseOutcome = {
  entryId: string;
  reversesEntryId: string;
  points: number;
  bookedAt: string;
};

/** Lots an entry touched: for an accrual, the lot it created; otherwise its recorded movements. */
async function lotsOf(tx: Tx, entryId: string, kind: string): Promise<LotTake[]> {
  if (kind === 'accrual') {
    const { rows } = await sql<{
      id: string;
      issuer_partner_id: string;
      amount: number;
      remaining: number;
      held: number;
    }>`
      SELECT id, issuer_partner_id, amount, remaining, held FROM ledger_lots WHERE entry_id = ${entryId}::uuid FOR UPDATE`.execute(
      tx,
    );
    // Only points still untouched can be taken back: spent or held points are the member's.
    return rows
      .filter((l) => l.remaining === l.amount && l.held === 0)
      .map((l) => ({ lotId: l.id, issuerPartnerId: l.issuer_partner_id, points: l.amount }));
  }
  const { rows } = await sql<{ lot_id: string; issuer_partner_id: string; points: number }>`
    SELECT lot_id, issuer_partner_id, points FROM ledger_lot_movements WHERE entry_id = ${entryId}::uuid ORDER BY lot_id`.execute(
    tx,
  );
  return rows.map((m) => ({
    lotId: m.lot_id,
    issuerPartnerId: m.issuer_partner_id,
    points: m.points,
  }));
}

/**
 * A correction is a new entry with every posting of the original negated, pointing at it.
 * Reversing an accrual takes its lot back (refused once any of it was spent or is held);
 * reversing a redemption returns the points to the lots they came from.
 */
export async function reverse(
  deps: LedgerDeps,
  input: ReverseInput,
): Promise<Replayable<ReverseOutcome>> {
  validateKey(input.idempotencyKey);
  const { partnerId, entryId, reason } = input;
  const hash = requestHash({ op: 'reverse', partnerId, entryId, reason });
  return idempotent(
    input.tx ?? deps.db,
    { ownerId: partnerId, key: input.idempotencyKey, hash },
    async (tx): Promise<Decision<ReverseOutcome>> => {
      const original = await tx
        .selectFrom('ledger_entries')
        .selectAll()
        .where('id', '=', entryId)
        .where('partner_id', '=', partnerId)
        .executeTakeFirst();
      if (!original) return reject('not_found', 'No such entry for this partner.');
      if (original.kind !== 'accrual' && original.kind !== 'redemption')
        return reject('business_rule', `A ${original.kind} entry cannot be reversed.`);
      const postings = await tx
        .selectFrom('ledger_postings')
        .select(['account_id', 'asset', 'amount'])
        .where('entry_id', '=', entryId)
        .execute();
      await lockAccounts(
        tx,
        postings.map((p) => p.account_id),
      );
      const already = await tx
        .selectFrom('ledger_entries')
        .select('id')
        .where('reverses_entry_id', '=', entryId)
        .executeTakeFirst();
      if (already) return reject('conflict', 'The entry is already reversed.');
      const lots = await lotsOf(tx, entryId, original.kind);
      const points = postings
        .filter((p) => p.asset === pointsAsset && p.amount > 0)
        .reduce((s, p) => s + p.amount, 0);
      if (original.kind === 'accrual' && sumTakes(lots) !== points) {
        return reject(
          'insufficient_points',
          'The points of this accrual were already spent or are held.',
        );
      }
      const sign = original.kind === 'accrual' ? 1 : -1;
      const id = newId();
      const bookedAt = deps.clock.now();
      await adjustLots(
        tx,
        lots.map((l) => ({ lotId: l.lotId, remainingDelta: -sign * l.points, heldDelta: 0 })),
      );
      await appendEntries(tx, [
        {
          id,
          kind: `${original.kind}_reversal`,
          bookedAt,
          partnerId,
          memberId: original.member_id,
          reversesEntryId: entryId,
          metadata: reason ? { reason } : {},
          postings: postings.map((p) => ({
            accountId: p.account_id,
            asset: p.asset,
            amount: -p.amount,
          })),
        },
      ]);
      await recordMovements(tx, movementsOf(id, lots, sign));
      return {
        ok: { entryId: id, reversesEntryId: entryId, points, bookedAt: bookedAt.toISOString() },
        entryId: id,
      };
    },
  );
}
