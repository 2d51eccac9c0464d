import type { Clock, Db, JobDefinition, Logger } from '../platform/index.ts';
import { type AccountKey, createAccountDirectory } from './accounts.ts';
import {
  type AccrualInput,
  type AccrualResult,
  appendAccruals,
  type PlannedAccrual,
  planAccrual,
  writeAccrualBatch,
} from './accrual.ts';
import { clawBack, forfeitAll, post } from './adjustments.ts';
import { type ExpiryPostings, expireLots } from './expiry.ts';
import {
  allShards,
  type BatchWrite,
  createGroupCommit,
  createShardPool,
  type GroupCommitOptions,
  type GroupCommitWriter,
  type ShardRange,
} from './group-commit.ts';
import { capture, expireHolds, voidHold } from './holds.ts';
import {
  accountStatement,
  balanceAsOf,
  entryWithPostings,
  memberActivity,
  memberPoints,
  memberPointsExpiring,
} from './queries.ts';
import type { LedgerDeps } from './requests.ts';
import { reverse } from './reversal.ts';
import { hold, redeem } from './spending.ts';
import { verifyLedger } from './verify.ts';

type Tail<F> = F extends (deps: LedgerDeps, ...rest: infer R) => infer Out
  ? (...rest: R) => Out
  : never;

/**
 * The ledger of one hub process: every operation, bound to the database and clock, with one
 * group-commit writer for accruals. Build it once at start-up; close it at shutdown. `shards`
 * is the part of the issuers' accrual shards this process's writers use (processShards when
 * several processes share the database).
 */
export function createLedger(
  ctx: { db: Db; clock: Clock; logger: Logger },
  writerOptions: Partial<GroupCommitOptions> = {},
  shards: ShardRange = allShards,
) {
  const deps: LedgerDeps = {
    db: ctx.db,
    accounts: createAccountDirectory(ctx.db),
    clock: ctx.clock,
  };
  const shardPool = createShardPool(shards);
  const writers: GroupCommitWriter<never, unknown>[] = [];
  /**
   * A group-commit writer whose batches take their shard from this ledger's pool: the
   * counter's purchases ride one with their companion rows (appendAccruals in its batch).
   */
  const groupCommit = <I, A>(
    write: BatchWrite<I, A>,
    options: Partial<GroupCommitOptions> = {},
  ): GroupCommitWriter<I, A> => {
    const writer = createGroupCommit(write, shardPool, ctx.logger, {
      ...writerOptions,
      ...options,
    });
    writers.push(writer as GroupCommitWriter<never, unknown>);
    return writer;
  };
  const writer = groupCommit((items: PlannedAccrual[], shard) =>
    writeAccrualBatch(deps, items, shard),
  );
  const bind = <F extends (deps: LedgerDeps, ...rest: never[]) => unknown>(f: F) =>
    ((...rest: never[]) => f(deps, ...rest)) as Tail<F>;
  return {
    /** Accrual through the group-commit writer (the hot path). */
    accrue: async (input: AccrualInput): Promise<AccrualResult> =>
      writer.submit(planAccrual(input)),
    /** Accrual in a transaction of its own: the baseline the writer is measured against. */
    accrueAlone: async (input: AccrualInput): Promise<AccrualResult> => {
      const [settled] = await writeAccrualBatch(deps, [planAccrual(input)], 0);
      if (settled === undefined) throw new Error('ledger: no answer for the accrual');
      if ('error' in settled) throw settled.error;
      return settled.value;
    },
    groupCommit,
    /** Appends planned accruals inside a batch's transaction (see appendAccruals). */
    appendAccruals: (tx: Db, planned: PlannedAccrual[], shard: number, bookedAt: Date) =>
      appendAccruals(deps, tx, planned, shard, bookedAt),
    redeem: bind(redeem),
    hold: bind(hold),
    capture: bind(capture),
    voidHold: bind(voidHold),
    reverse: bind(reverse),
    post: bind(post),
    forfeitAll: bind(forfeitAll),
    clawBack: bind(clawBack),
    expireLots: bind(expireLots),
    expireHolds: bind(expireHolds),
    memberPoints: (memberId: string) => memberPoints(ctx.db, memberId),
    memberActivity: (memberId: string, page: Parameters<typeof memberActivity>[2]) =>
      memberActivity(ctx.db, memberId, page),
    entryWithPostings: (entryId: string) => entryWithPostings(ctx.db, entryId),
    /** A member's points expiring in a range, per date (see memberPointsExpiring). */
    memberPointsExpiring: (memberId: string, range: Parameters<typeof memberPointsExpiring>[2]) =>
      memberPointsExpiring(ctx.db, memberId, range),
    balanceAsOf: (accountId: string, at: Date) => balanceAsOf(ctx.db, accountId, at),
    accountStatement: (accountId: string, range: Parameters<typeof accountStatement>[2]) =>
      accountStatement(ctx.db, accountId, range),
    accountId: deps.accounts.id,
    /** Many account ids at once (created when missing), in two statements. */
    accountIds: (keys: AccountKey[]) => deps.accounts.ids(keys),
    verify: () => verifyLedger(ctx.db),
    writerStats: writer.stats,
    /** Stops every writer of this ledger, once what is queued is written. */
    close: async () => {
      await Promise.all(writers.map((w) => w.close()));
    },
  };
}

export type Ledger = ReturnType<typeof createLedger>;

/**
 * Background jobs of the ledger: holds past their deadline void themselves; lots expire, with
 * the expiry postings settlement asks for (its share of breakage), when given.
 */
export function ledgerJobs(
  ledger: Ledger,
  options: { expiryPostings?: ExpiryPostings } = {},
): JobDefinition[] {
  return [
    {
      queue: 'ledger-expire-holds',
      schedule: { everyMs: 15_000 },
      process: async () => ({ expired: await ledger.expireHolds() }),
    },
    {
      queue: 'ledger-expire-lots',
      schedule: { everyMs: 60_000 },
      process: async () => ({
        expired: await ledger.expireLots(undefined, options.expiryPostings),
      }),
    },
  ];
}
