import { sql } from 'kysely';
import { AppError, type Db, newId } from '../platform/index.ts';
import { type AccountKey, memberPointsKey, partnerPointsKey, pointsAsset } from './accounts.ts';
import { appendEntries, lockAccounts, type PostingSpec, requestHash, type Tx } from './journal.ts';
import {
  adjustLots,
  type LotTake,
  movementsOf,
  perIssuer,
  recordMovements,
  shortfall,
  spendableLots,
  sumTakes,
  takeOldestFirst,
} from './lots.ts';
import { type Decision, idempotent, type LedgerDeps, type Replayable, reject } from './requests.ts';
import { validateKey, validatePoints } from './validate.ts';

/**
 * Postings in another asset that must be written with a redemption, in the same entry and
 * transaction (settlement's clearing obligations: who owes whom for the points just spent).
 */
export type ExtraPostings = (
  takes: LotTake[],
  acceptorPartnerId: string,
) => Array<{ key: AccountKey; amount: number }>;

export type RedeemInput = {
  /** The accepting partner (whose counter takes the points); owner of the idempotency key. */
  partnerId: string;
  memberId: string;
  points: number;
  idempotencyKey: string;
  metadata?: Record<string, unknown>;
  extraPostings?: ExtraPostings;
  /** A caller's transaction to join (the request commits or rolls back with it). */
  tx?: Db;
};

export type SpendOutcome = { entryId: string; points: number; lots: LotTake[]; bookedAt: string };

/**
 * Writes the entry that takes points out of lots: the member's account down, each issuer's
 * account of `issuerKind` up (redeemed for spending, issued for a claw-back, breakage for a
 * forfeiture), plus any postings in another asset the caller adds (clearing obligations).
 * The member's account must already be locked; the rest are locked here, in the global order.
 */
export async function spendFromLots(
  deps: LedgerDeps,
  tx: Tx,
  spend: {
    kind: string;
    /** The partner the entry belongs to (the accepting counter, or the issuer); null: the hub. */
    partnerId: string | null;
    memberId: string;
    memberAccount: string;
    takes: LotTake[];
    issuerKind: 'partner_redeemed' | 'partner_issued' | 'partner_breakage';
    metadata?: Record<string, unknown>;
    extra?: ExtraPostings;
  },
): Promise<SpendOutcome> {
  const issuers = [...perIssuer(spend.takes)];
  // Zero amounts are dropped before the accounts are looked up, so indexes stay aligned.
  const extras = (
    spend.partnerId && spend.extra ? spend.extra(spend.takes, spend.partnerId) : []
  ).filter((e) => e.amount !== 0);
  const shard = spend.kind === 'redemption' ? redemptionShardOf(spend.memberId) : 0;
  const accountIds = await deps.accounts.ids(
    [
      ...issuers.map(([p]) => partnerPointsKey(p, spend.issuerKind, shard)),
      ...extras.map((e) => ({ ...e.key, shard })),
    ],
    tx,
  );
  const issuerAccounts = accountIds.slice(0, issuers.length);
  const extraAccounts = accountIds.slice(issuers.length);
  await lockAccounts(tx, accountIds);
  const points = sumTakes(spend.takes);
  const postings: PostingSpec[] = [
    { accountId: spend.memberAccount, asset: pointsAsset, amount: -points },
    ...issuers.map(([, n], i) => ({
      accountId: issuerAccounts[i] ?? '',
      asset: pointsAsset,
      amount: n,
    })),
    ...extras.map((e, i) => ({
      accountId: extraAccounts[i] ?? '',
      asset: e.key.asset,
      amount: e.amount,
    })),
  ];
  const entryId = newId();
  const bookedAt = deps.clock.now();
  await adjustLots(
    tx,
    spend.takes.map((t) => ({ lotId: t.lotId, remainingDelta: -t.points, heldDelta: 0 })),
  );
  await appendEntries(tx, [
    {
      id: entryId,
      kind: spend.kind,
      bookedAt,
      partnerId: spend.partnerId,
      memberId: spend.memberId,
      metadata: spend.metadata,
      postings,
    },
  ]);
  await recordMovements(tx, movementsOf(entryId, spend.takes, 1));
  return { entryId, points, lots: spend.takes, bookedAt: bookedAt.toISOString() };
}

/**
 * Redemptions spread over this many shards of the partner and hub accounts they post to. A
 * redemption locks the issuers' redeemed-points accounts, the acceptor's and the issuers'
 * clearing accounts and the hub's fee account until it commits: on one row each, every
 * redemption in the alliance waited for the one before it on the hub's fee account (the
 * ledger's one-step redemptions alone: 192/s here, BENCHMARKS.md). A member's redemptions all
 * use the shard of its id; an owner's balance of a kind is the sum of its shards, as for the
 * issuers' accrual shards (migration 0040).
 */
export const redemptionShards = 16;

function redemptionShardOf(memberId: string): number {
  // The last hex digits of an id are random (UUIDv7 and v4 alike).
  return Number.parseInt(memberId.slice(-4), 16) % redemptionShards;
}

/** One-step redemption at a counter: the member's oldest unexpired points first. */
export async function redeem(
  deps: LedgerDeps,
  input: RedeemInput,
): Promise<Replayable<SpendOutcome>> {
  validatePoints(input.points, 'points');
  validateKey(input.idempotencyKey);
  const { partnerId, memberId, points, metadata } = input;
  const hash = requestHash({ op: 'redeem', partnerId, memberId, points, metadata });
  const [memberAccount = ''] = await deps.accounts.ids([memberPointsKey(memberId)], input.tx);
  return idempotent(
    input.tx ?? deps.db,
    { ownerId: partnerId, key: input.idempotencyKey, hash },
    async (tx): Promise<Decision<SpendOutcome>> => {
      await lockAccounts(tx, [memberAccount]);
      const lots = await spendableLots(tx, memberAccount, deps.clock.now());
      const takes = takeOldestFirst(lots, points);
      if (!takes) return reject('insufficient_points', shortfall(lots, points));
      const ok = await spendFromLots(deps, tx, {
        kind: 'redemption',
        partnerId,
        memberId,
        memberAccount,
        takes,
        issuerKind: 'partner_redeemed',
        metadata,
        extra: input.extraPostings,
      });
      return { ok, entryId: ok.entryId };
    },
  );
}

export type HoldInput = {
  partnerId: string;
  memberId: string;
  points: number;
  idempotencyKey: string;
  expiresAt: Date;
  metadata?: Record<string, unknown>;
  /** A caller's transaction to join (the request commits or rolls back with it). */
  tx?: Db;
};

export type HoldOutcome = { holdId: string; points: number; expiresAt: string };

/** Reserves points (oldest lots first) until captured, voided, or its deadline passes. */
export async function hold(deps: LedgerDeps, input: HoldInput): Promise<Replayable<HoldOutcome>> {
  validatePoints(input.points, 'points');
  validateKey(input.idempotencyKey);
  const { partnerId, memberId, points, expiresAt, metadata } = input;
  const now = deps.clock.now();
  const notInFuture = () =>
    new AppError('validation_failed', 'expiresAt must be in the future', {
      fields: [{ field: 'expiresAt', reason: 'must be in the future' }],
    });
  if (!(expiresAt instanceof Date) || Number.isNaN(expiresAt.getTime())) throw notInFuture();
  const hash = requestHash({ op: 'hold', partnerId, memberId, points, expiresAt, metadata });
  const [memberAccount = ''] = await deps.accounts.ids([memberPointsKey(memberId)], input.tx);
  return idempotent(
    input.tx ?? deps.db,
    { ownerId: partnerId, key: input.idempotencyKey, hash },
    async (tx): Promise<Decision<HoldOutcome>> => {
      // A deadline in the past is refused only for a new request (nothing is stored): a retry
      // that arrives after its hold's deadline must get its first answer back, not this error.
      if (!(expiresAt > now)) throw notInFuture();
      await lockAccounts(tx, [memberAccount]);
      const lots = await spendableLots(tx, memberAccount, now);
      const takes = takeOldestFirst(lots, points);
      if (!takes) return reject('insufficient_points', shortfall(lots, points));
      const holdId = newId();
      await adjustLots(
        tx,
        takes.map((t) => ({ lotId: t.lotId, remainingDelta: 0, heldDelta: t.points })),
      );
      await sql`UPDATE ledger_accounts SET held = held + ${points}::int8 WHERE id = ${memberAccount}::uuid`.execute(
        tx,
      );
      await tx
        .insertInto('ledger_holds')
        .values({
          id: holdId,
          account_id: memberAccount,
          member_id: memberId,
          partner_id: partnerId,
          amount: points,
          status: 'active',
          created_at: now,
          expires_at: expiresAt,
          metadata: metadata ?? {},
        })
        .execute();
      await tx
        .insertInto('ledger_hold_lots')
        .values(takes.map((t) => ({ hold_id: holdId, lot_id: t.lotId, points: t.points })))
        .execute();
      return { ok: { holdId, points, expiresAt: expiresAt.toISOString() }, entryId: null };
    },
  );
}
