import {
  AppError,
  assertAmount,
  type Db,
  isUniqueViolation,
  newId,
  type PaidMembershipTerm,
  type PaidPlan,
  type PaidStatus,
} from '../platform/index.ts';
import { lockActiveMember, type MemberDeps } from './members.ts';
import { addDays, addMonths, loadMembershipSettings } from './settings.ts';

/**
 * The paid super-membership. A plan has an annual fee in currency that may depend on the
 * member's tier (88VIP: 88 or 888). A member may try it free once. A paid term bought while
 * one runs starts when the running one ends (renewal). Cancelling keeps the benefits to the
 * end of the term. Whether benefits apply is decided by the clock against the term's end, so
 * the expiry job only tidies the status.
 */

export type PlanView = {
  id: string;
  code: string;
  name: string;
  currency: string;
  feeMinor: number;
  termMonths: number;
  /** Fees that differ from feeMinor, by tier code. */
  tierFeesMinor: Record<string, number>;
};

export async function createPaidPlan(
  db: Db,
  input: {
    code: string;
    name: string;
    feeMinor: number;
    termMonths?: number;
    currency?: string;
    tierFeesMinor?: Record<string, number>;
  },
): Promise<PlanView> {
  assertAmount(input.feeMinor, 'feeMinor');
  for (const fee of Object.values(input.tierFeesMinor ?? {})) assertAmount(fee, 'tier fee');
  try {
    return await db.transaction().execute(async (tx) => {
      const id = newId();
      await tx
        .insertInto('paid_plans')
        .values({
          id,
          code: input.code,
          name: input.name,
          fee_minor: input.feeMinor,
          term_months: input.termMonths ?? 12,
          currency: input.currency ?? 'CNY',
        })
        .execute();
      const tierFees = Object.entries(input.tierFeesMinor ?? {});
      if (tierFees.length > 0) {
        await tx
          .insertInto('paid_plan_tier_fees')
          .values(tierFees.map(([tier, fee]) => ({ plan_id: id, tier_code: tier, fee_minor: fee })))
          .execute();
      }
      return requirePlan(tx, input.code);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('conflict', `A plan ${input.code} exists.`);
    throw error;
  }
}

function toPlanView(plan: PaidPlan, fees: { tier_code: string; fee_minor: number }[]): PlanView {
  return {
    id: plan.id,
    code: plan.code,
    name: plan.name,
    currency: plan.currency,
    feeMinor: plan.fee_minor,
    termMonths: plan.term_months,
    tierFeesMinor: Object.fromEntries(fees.map((f) => [f.tier_code, f.fee_minor])),
  };
}

export async function findPaidPlan(db: Db, code: string): Promise<PlanView | undefined> {
  const plan = await db
    .selectFrom('paid_plans')
    .selectAll()
    .where('code', '=', code)
    .executeTakeFirst();
  if (!plan) return undefined;
  const fees = await db
    .selectFrom('paid_plan_tier_fees')
    .select(['tier_code', 'fee_minor'])
    .where('plan_id', '=', plan.id)
    .execute();
  return toPlanView(plan, fees);
}

async function requirePlan(db: Db, code: string): Promise<PlanView> {
  const plan = await findPaidPlan(db, code);
  if (!plan) throw new AppError('not_found', `No paid plan ${code}.`);
  return plan;
}

/** What a member of this tier pays for one term of the plan. */
export function planFeeFor(plan: PlanView, tierCode: string): number {
  return plan.tierFeesMinor[tierCode] ?? plan.feeMinor;
}

/**
 * The ledger's part of a paid term: record the fee in currency. Called inside the transaction
 * that creates the term (tx), so the term exists exactly when the fee is recorded. Must be
 * idempotent by idempotencyKey (the same key always means the same term).
 */
export type RecordMembershipFee = (input: {
  tx: Db;
  memberId: string;
  planId: string;
  planCode: string;
  termId: string;
  feeMinor: number;
  currency: string;
  idempotencyKey: string;
  at: Date;
}) => Promise<void>;

export type PaidStatusView = {
  /** The benefits of the paid membership apply now. */
  paid: boolean;
  status: PaidStatus | 'none';
  plan: { code: string; name: string } | null;
  trial: boolean;
  /** Start of the continuous membership and the end of its last term. */
  since: Date | null;
  paidThrough: Date | null;
  cancelledAt: Date | null;
  trialUsed: boolean;
};

/**
 * Whether the member's paid super-membership is running now (a trial included): what earning
 * asks, in one query; paidStatus tells the member the rest.
 */
export async function isPaidMember(deps: MemberDeps, memberId: string): Promise<boolean> {
  const row = await deps.db
    .selectFrom('paid_memberships')
    .select('member_id')
    .where('member_id', '=', memberId)
    .where('status', '!=', 'expired')
    .where('current_term_end', '>', deps.clock.now())
    .executeTakeFirst();
  return row !== undefined;
}

export async function paidStatus(deps: MemberDeps, memberId: string): Promise<PaidStatusView> {
  const now = deps.clock.now();
  const row = await deps.db
    .selectFrom('paid_memberships as pm')
    .innerJoin('paid_plans as p', 'p.id', 'pm.plan_id')
    .select([
      'pm.status',
      'pm.current_term_start',
      'pm.current_term_end',
      'pm.cancelled_at',
      'p.code',
      'p.name',
    ])
    .where('pm.member_id', '=', memberId)
    .executeTakeFirst();
  const trialUsed = await hasUsedTrial(deps.db, memberId);
  if (!row) {
    return {
      paid: false,
      status: 'none',
      plan: null,
      trial: false,
      since: null,
      paidThrough: null,
      cancelledAt: null,
      trialUsed,
    };
  }
  const running = row.status !== 'expired' && row.current_term_end > now;
  return {
    paid: running,
    status: running ? row.status : 'expired',
    plan: { code: row.code, name: row.name },
    trial: running && row.status === 'trial',
    since: row.current_term_start,
    paidThrough: row.current_term_end,
    cancelledAt: row.cancelled_at,
    trialUsed,
  };
}

async function hasUsedTrial(db: Db, memberId: string): Promise<boolean> {
  const trial = await db
    .selectFrom('paid_membership_terms')
    .select('id')
    .where('member_id', '=', memberId)
    .where('kind', '=', 'trial')
    .executeTakeFirst();
  return trial !== undefined;
}

async function currentMembership(db: Db, memberId: string) {
  return db
    .selectFrom('paid_memberships')
    .selectAll()
    .where('member_id', '=', memberId)
    .executeTakeFirst();
}

/** The free trial: once per member, ever, and not while a paid term runs. */
export async function startTrial(
  deps: MemberDeps,
  input: { memberId: string; planCode: string },
): Promise<PaidStatusView> {
  const settings = await loadMembershipSettings(deps.db);
  try {
    await deps.db.transaction().execute(async (tx) => {
      const now = deps.clock.now();
      const member = await lockActiveMember(tx, input.memberId);
      if (await hasUsedTrial(tx, member.id)) {
        throw new AppError('business_rule', 'The free trial has been used already.', {
          extra: { reason: 'trial_used' },
        });
      }
      const current = await currentMembership(tx, member.id);
      if (current && current.status !== 'expired' && current.current_term_end > now) {
        throw new AppError('business_rule', 'The member is a paid member already.', {
          extra: { reason: 'already_paid' },
        });
      }
      const plan = await requirePlan(tx, input.planCode);
      const endsAt = addDays(now, settings.trialDays);
      await insertTerm(tx, {
        memberId: member.id,
        plan,
        kind: 'trial',
        startsAt: now,
        endsAt,
        feeMinor: 0,
        tierCode: member.tier_code,
        idempotencyKey: 'trial',
        at: now,
      });
      await upsertMembership(tx, {
        memberId: member.id,
        planId: plan.id,
        status: 'trial',
        since: now,
        paidThrough: endsAt,
        at: now,
      });
    });
  } catch (error) {
    if (isUniqueViolation(error, 'paid_membership_terms_one_trial')) {
      throw new AppError('business_rule', 'The free trial has been used already.', {
        extra: { reason: 'trial_used' },
      });
    }
    throw error;
  }
  return paidStatus(deps, input.memberId);
}

export type SubscribeResult = {
  status: PaidStatusView;
  term: { id: string; startsAt: Date; endsAt: Date; feeMinor: number; currency: string };
  /** This idempotency key had bought the term before; nothing was charged again. */
  duplicate: boolean;
};

/**
 * Buys one paid term. With no paid term running (none, a trial, expired) it starts now; while
 * one runs, it starts at its end (a renewal). The fee is the plan's for the member's tier now,
 * and is recorded through recordMembershipFee in the same transaction.
 */
export async function subscribe(
  deps: MemberDeps,
  input: {
    memberId: string;
    planCode: string;
    idempotencyKey: string;
    recordMembershipFee: RecordMembershipFee;
  },
): Promise<SubscribeResult> {
  if (
    input.idempotencyKey.length < 1 ||
    input.idempotencyKey.length > 200 ||
    input.idempotencyKey === 'trial'
  ) {
    throw new AppError('validation_failed', 'The idempotency key is not valid.', {
      fields: [{ field: 'idempotencyKey', reason: '1 to 200 characters' }],
    });
  }
  const outcome = await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock.now();
    const member = await lockActiveMember(tx, input.memberId);
    const plan = await requirePlan(tx, input.planCode);
    const previous = await tx
      .selectFrom('paid_membership_terms')
      .selectAll()
      .where('member_id', '=', member.id)
      .where('idempotency_key', '=', input.idempotencyKey)
      .executeTakeFirst();
    if (previous) {
      if (previous.plan_id !== plan.id) {
        throw new AppError('conflict', 'This idempotency key bought another plan.');
      }
      return { term: previous, duplicate: true };
    }
    const current = await currentMembership(tx, member.id);
    const paidRunning =
      current !== undefined &&
      (current.status === 'active' || current.status === 'cancelled') &&
      current.current_term_end > now;
    const startsAt = paidRunning ? current.current_term_end : now;
    const endsAt = addMonths(startsAt, plan.termMonths);
    const term = await insertTerm(tx, {
      memberId: member.id,
      plan,
      kind: 'paid',
      startsAt,
      endsAt,
      feeMinor: planFeeFor(plan, member.tier_code),
      tierCode: member.tier_code,
      idempotencyKey: input.idempotencyKey,
      at: now,
    });
    await input.recordMembershipFee({
      tx,
      memberId: member.id,
      planId: plan.id,
      planCode: plan.code,
      termId: term.id,
      feeMinor: term.fee_minor,
      currency: term.currency,
      idempotencyKey: `membership-fee:${member.id}:${input.idempotencyKey}`,
      at: now,
    });
    await upsertMembership(tx, {
      memberId: member.id,
      planId: plan.id,
      status: 'active',
      since: paidRunning ? current.current_term_start : now,
      paidThrough: endsAt,
      at: now,
    });
    return { term, duplicate: false };
  });
  return {
    status: await paidStatus(deps, input.memberId),
    term: {
      id: outcome.term.id,
      startsAt: outcome.term.starts_at,
      endsAt: outcome.term.ends_at,
      feeMinor: outcome.term.fee_minor,
      currency: outcome.term.currency,
    },
    duplicate: outcome.duplicate,
  };
}

/** A renewal is a subscription by a member who has (or had) one: same rules, same fee seam. */
export async function renewPaidMembership(
  deps: MemberDeps,
  input: Parameters<typeof subscribe>[1],
): Promise<SubscribeResult> {
  const current = await currentMembership(deps.db, input.memberId);
  if (!current) throw new AppError('not_found', 'The member has no paid membership to renew.');
  return subscribe(deps, input);
}

/** Stops renewal; the benefits last to the end of the term already paid (or the trial). */
export async function cancelPaidMembership(
  deps: MemberDeps,
  memberId: string,
): Promise<PaidStatusView> {
  const now = deps.clock.now();
  const current = await currentMembership(deps.db, memberId);
  if (!current || current.status === 'expired' || current.current_term_end <= now) {
    throw new AppError('business_rule', 'There is no running paid membership to cancel.');
  }
  await deps.db
    .updateTable('paid_memberships')
    .set({ status: 'cancelled', cancelled_at: now, updated_at: now })
    .where('member_id', '=', memberId)
    .where('status', 'in', ['trial', 'active'])
    .execute();
  return paidStatus(deps, memberId);
}

const expiryBatchSize = 1000;
const expiryBatchesMax = 1000;

/** Marks memberships whose last term has ended as expired. Safe to run at any time, again. */
export async function expirePaidMemberships(deps: MemberDeps): Promise<{ expired: number }> {
  let expired = 0;
  for (let batch = 0; batch < expiryBatchesMax; batch++) {
    const now = deps.clock.now();
    const due = deps.db
      .selectFrom('paid_memberships')
      .select('member_id')
      .where('status', '<>', 'expired')
      .where('current_term_end', '<=', now)
      .limit(expiryBatchSize);
    const result = await deps.db
      .updateTable('paid_memberships')
      .set({ status: 'expired', updated_at: now })
      .where('member_id', 'in', due)
      .where('status', '<>', 'expired')
      .executeTakeFirst();
    const n = Number(result.numUpdatedRows);
    expired += n;
    if (n < expiryBatchSize) break;
  }
  return { expired };
}

async function insertTerm(
  db: Db,
  term: {
    memberId: string;
    plan: PlanView;
    kind: 'trial' | 'paid';
    startsAt: Date;
    endsAt: Date;
    feeMinor: number;
    tierCode: string;
    idempotencyKey: string;
    at: Date;
  },
): Promise<PaidMembershipTerm> {
  return db
    .insertInto('paid_membership_terms')
    .values({
      id: newId(),
      member_id: term.memberId,
      plan_id: term.plan.id,
      kind: term.kind,
      starts_at: term.startsAt,
      ends_at: term.endsAt,
      fee_minor: term.feeMinor,
      currency: term.plan.currency,
      tier_code: term.tierCode,
      idempotency_key: term.idempotencyKey,
      created_at: term.at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

async function upsertMembership(
  db: Db,
  m: {
    memberId: string;
    planId: string;
    status: PaidStatus;
    since: Date;
    paidThrough: Date;
    at: Date;
  },
): Promise<void> {
  const state = {
    plan_id: m.planId,
    status: m.status,
    current_term_start: m.since,
    current_term_end: m.paidThrough,
    cancelled_at: null,
    updated_at: m.at,
  };
  await db
    .insertInto('paid_memberships')
    .values({ member_id: m.memberId, ...state })
    .onConflict((oc) => oc.column('member_id').doUpdateSet(state))
    .execute();
}
