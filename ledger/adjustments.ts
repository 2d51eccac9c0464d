import { sql } from 'kysely';
import { type Db, newId } from '../platform/index.ts';
import { type AccountKey, memberPointsKey, pointsAsset } from './accounts.ts';
import { appendEntries, lockAccounts, requestHash } from './journal.ts';
import { type SpendableLot, takeOldest } from './lots.ts';
import { type Decision, idempotent, type LedgerDeps, type Replayable, reject } from './requests.ts';
import { spendFromLots } from './spending.ts';
import { validateKey, validatePoints } from './validate.ts';

export type PostInput = {
  /** Who asks (a partner, or hubOwnerId for the hub's own entries); owns the idempotency key. */
  ownerId: string;
  idempotencyKey: string;
  kind: string;
  memberId?: string | null;
  partnerId?: string | null;
  postings: Array<{ key: AccountKey; amount: number }>;
  metadata?: Record<string, unknown>;
  /** A caller's transaction to join (the entry commits or rolls back with it). */
  tx?: Db;
};

export type PostOutcome = { entryId: string; bookedAt: string };

/**
 * A balanced entry of currency postings (membership fees, settlement payments). Points never
 * move this way: they live in lots, which only accruals, spending and expiry touch.
 */
export async function post(deps: LedgerDeps, input: PostInput): Promise<Replayable<PostOutcome>> {
  validateKey(input.idempotencyKey);
  if (input.postings.some((p) => p.key.asset === pointsAsset)) {
    throw new Error('ledger.post moves currency only; points move through lots');
  }
  const { ownerId, kind, memberId, partnerId, postings, metadata } = input;
  const hash = requestHash({ op: 'post', ownerId, kind, memberId, partnerId, postings, metadata });
  return idempotent(
    input.tx ?? deps.db,
    { ownerId, key: input.idempotencyKey, hash },
    async (tx): Promise<Decision<PostOutcome>> => {
      const ids = await deps.accounts.ids(
        postings.map((p) => p.key),
        tx,
      );
      const locked = await lockAccounts(tx, ids);
      const delta = new Map<string, number>();
      for (const [i, p] of postings.entries()) {
        delta.set(ids[i] ?? '', (delta.get(ids[i] ?? '') ?? 0) + p.amount);
      }
      for (const [id, d] of delta) {
        const a = locked.get(id);
        if (a && a.floor !== null && a.balance - a.held + d < a.floor)
          return reject('business_rule', 'The entry would take an account below its floor.');
      }
      const entryId = newId();
      const bookedAt = deps.clock.now();
      await appendEntries(tx, [
        {
          id: entryId,
          kind,
          bookedAt,
          partnerId: partnerId ?? null,
          memberId: memberId ?? null,
          metadata,
          postings: postings.map((p, i) => ({
            accountId: ids[i] ?? '',
            asset: p.key.asset,
            amount: p.amount,
          })),
        },
      ]);
      return { ok: { entryId, bookedAt: bookedAt.toISOString() }, entryId };
    },
  );
}

export type ForfeitOutcome = { entryId: string | null; points: number };

/**
 * Closing a membership forfeits every point left: the lots end early, as if expired, and the
 * points go to their issuers' breakage. Refused while a hold is open.
 */
export async function forfeitAll(
  deps: LedgerDeps,
  input: { memberId: string; idempotencyKey: string; reason: string; tx?: Db },
): Promise<Replayable<ForfeitOutcome>> {
  validateKey(input.idempotencyKey);
  const { memberId, reason } = input;
  const hash = requestHash({ op: 'forfeit', memberId, reason });
  const [memberAccount = ''] = await deps.accounts.ids([memberPointsKey(memberId)], input.tx);
  return idempotent(
    input.tx ?? deps.db,
    { ownerId: memberId, key: input.idempotencyKey, hash },
    async (tx): Promise<Decision<ForfeitOutcome>> => {
      const account = (await lockAccounts(tx, [memberAccount])).get(memberAccount);
      if (account && account.held > 0)
        return reject('conflict', 'The member has points held by an open hold.');
      const { rows } = await sql<SpendableLot>`
      SELECT id, issuer_partner_id, remaining AS spendable FROM ledger_lots
      WHERE account_id = ${memberAccount}::uuid AND remaining > 0 ORDER BY issued_at, id FOR UPDATE`.execute(
        tx,
      );
      const takes = takeOldest(rows, Number.MAX_SAFE_INTEGER);
      if (takes.length === 0) return { ok: { entryId: null, points: 0 }, entryId: null };
      const out = await spendFromLots(deps, tx, {
        kind: 'forfeiture',
        memberId,
        memberAccount,
        partnerId: null,
        takes,
        issuerKind: 'partner_breakage',
        metadata: { reason },
      });
      return { ok: { entryId: out.entryId, points: out.points }, entryId: out.entryId };
    },
  );
}

export type ClawBackInput = {
  /** The issuer that booked the accrual; owns the idempotency key. */
  partnerId: string;
  accrualEntryId: string;
  points: number;
  idempotencyKey: string;
  metadata?: Record<string, unknown>;
  tx?: Db;
};

export type ClawBackOutcome = { entryId: string | null; points: number; unrecovered: number };

/**
 * Takes back points a refunded purchase earned: from its own lot first, then from the member's
 * other lots of the same issuer. Members never go below zero: what is already spent stays
 * spent and is reported as unrecovered (the issuer's loss).
 */
export async function clawBack(
  deps: LedgerDeps,
  input: ClawBackInput,
): Promise<Replayable<ClawBackOutcome>> {
  validatePoints(input.points, 'points');
  validateKey(input.idempotencyKey);
  const { partnerId, accrualEntryId, points, metadata } = input;
  const hash = requestHash({ op: 'clawback', partnerId, accrualEntryId, points, metadata });
  return idempotent(
    input.tx ?? deps.db,
    { ownerId: partnerId, key: input.idempotencyKey, hash },
    async (tx): Promise<Decision<ClawBackOutcome>> => {
      const original = await tx
        .selectFrom('ledger_entries')
        .select(['member_id', 'kind'])
        .where('id', '=', accrualEntryId)
        .where('partner_id', '=', partnerId)
        .executeTakeFirst();
      if (original?.kind !== 'accrual' || !original.member_id)
        return reject('not_found', 'No such accrual for this partner.');
      // Looked up inside the transaction: a second pool connection could wait forever.
      const [memberAccount = ''] = await deps.accounts.ids(
        [memberPointsKey(original.member_id)],
        tx,
      );
      await lockAccounts(tx, [memberAccount]);
      const { rows } = await sql<SpendableLot>`
      SELECT id, issuer_partner_id, remaining - held AS spendable FROM ledger_lots
      WHERE account_id = ${memberAccount}::uuid AND issuer_partner_id = ${partnerId}::uuid AND remaining > held
      ORDER BY (entry_id = ${accrualEntryId}::uuid) DESC, issued_at, id FOR UPDATE`.execute(tx);
      const takes = takeOldest(rows, points);
      if (takes.length === 0)
        return { ok: { entryId: null, points: 0, unrecovered: points }, entryId: null };
      const out = await spendFromLots(deps, tx, {
        kind: 'accrual_clawback',
        memberId: original.member_id,
        memberAccount,
        partnerId,
        takes,
        issuerKind: 'partner_issued',
        metadata: { ...metadata, refundOf: accrualEntryId },
      });
      return {
        ok: { entryId: out.entryId, points: out.points, unrecovered: points - out.points },
        entryId: out.entryId,
      };
    },
  );
}
