import { sql } from 'kysely';
import {
  AppError,
  type Db,
  isUniqueViolation,
  newId,
  type PaidMembershipTerm,
  type PaidStatus,
} from '../platform/index.ts';
import { lockActiveMember, type MemberDeps } from './members.ts';
import { findPaidPlan, type PlanView, planFeeFor, requirePlan } from './plans.ts';
import { addDays, addMonths, loadMembershipSettings } from './settings.ts';

/**
 * The paid super-membership. A plan has an annual fee in currency that may depend on the
 * member's tier (88VIP: 88 or 888). A member may try it free once. A paid term bought while
 * one runs starts when the running one ends (renewal). Cancelling keeps the benefits to the
 * end of the term. Whether benefits apply is decided by the clock against the term's end, so
 * the expiry job only tidies the status.
 */

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
  /** The member chose automatic renewal (for a trial: conversion into a paid term at its end). */
  autoRenew: boolean;
  /** The automatic charge to come: when, and how much at the member's tier now. */
  nextCharge: { at: Date; amountMinor: number; currency: string } | null;
};

/** An automatic renewal is charged this long before the term ends. */
export const renewalChargeLeadMs = 86_400_000;

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
    .innerJoin('members as m', 'm.id', 'pm.member_id')
    .select([
      'pm.status',
      'pm.current_term_start',
      'pm.current_term_end',
      'pm.cancelled_at',
      'pm.auto_renew',
      'p.code',
      'p.name',
      'm.tier_code',
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
      autoRenew: false,
      nextCharge: null,
    };
  }
  const running = row.status !== 'expired' && row.current_term_end > now;
  const renews = running && row.auto_renew && row.status !== 'cancelled';
  const plan = renews ? await findPaidPlan(deps.db, row.code) : undefined;
  return {
    paid: running,
    status: running ? row.status : 'expired',
    plan: { code: row.code, name: row.name },
    trial: running && row.status === 'trial',
    since: row.current_term_start,
    paidThrough: row.current_term_end,
    cancelledAt: row.cancelled_at,
    trialUsed,
    autoRenew: renews,
    nextCharge: plan
      ? {
          at: new Date(row.current_term_end.getTime() - renewalChargeLeadMs),
          amountMinor: planFeeFor(plan, row.tier_code),
          currency: plan.currency,
        }
      : null,
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

/** Whether the term that ends the membership is a trial or paid: what a cancellation hid. */
async function runningTermKind(tx: Db, memberId: string, end: Date): Promise<'trial' | 'active'> {
  const term = await tx
    .selectFrom('paid_membership_terms')
    .select('kind')
    .where('member_id', '=', memberId)
    .where('ends_at', '=', end)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  return term?.kind === 'trial' ? 'trial' : 'active';
}

async function currentMembership(db: Db, memberId: string) {
  return db
    .selectFrom('paid_memberships')
    .selectAll()
    .where('member_id', '=', memberId)
    .executeTakeFirst();
}

/**
 * The free trial: once per member, ever, and not while a paid term runs. With autoRenew the
 * member agrees now that the trial converts into a paid term at its end, charged then at the
 * fee for their tier (a reminder comes first).
 */
export async function startTrial(
  deps: MemberDeps,
  input: { memberId: string; planCode: string; autoRenew?: boolean },
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
      if (plan.status !== 'active') {
        throw new AppError('business_rule', `The plan ${plan.code} is no longer offered.`, {
          extra: { reason: 'plan_retired' },
        });
      }
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
        autoRenew: input.autoRenew ?? false,
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

/**
 * The paid term a confirmed payment buys, in the payment's transaction: it starts now with
 * nothing paid running (none, a trial, expired), or at the end of what runs when the payment
 * extends it (a renewal, an automatic renewal, a trial's conversion) or a paid term runs. The
 * fee is posted through recordMembershipFee in the same transaction.
 */
export async function startPaidTerm(
  tx: Db,
  deps: MemberDeps & { recordMembershipFee: RecordMembershipFee },
  input: {
    memberId: string;
    planId: string;
    feeMinor: number;
    tierCode: string;
    /** Extends whatever runs (a trial included) rather than replacing a trial at once. */
    fromCurrentEnd: boolean;
    idempotencyKey: string;
    at: Date;
  },
): Promise<PaidMembershipTerm> {
  const now = input.at;
  await lockActiveMember(tx, input.memberId);
  const planRow = await tx
    .selectFrom('paid_plans')
    .select('code')
    .where('id', '=', input.planId)
    .executeTakeFirstOrThrow();
  const plan = await requirePlan(tx, planRow.code);
  const current = await currentMembership(tx, input.memberId);
  const running =
    current !== undefined && current.status !== 'expired' && current.current_term_end > now;
  const paidRunning = running && current.status !== 'trial';
  const extends_ = running && (paidRunning || input.fromCurrentEnd);
  const startsAt = extends_ ? current.current_term_end : now;
  const endsAt = addMonths(startsAt, plan.termMonths);
  const term = await insertTerm(tx, {
    memberId: input.memberId,
    plan,
    kind: 'paid',
    startsAt,
    endsAt,
    feeMinor: input.feeMinor,
    tierCode: input.tierCode,
    idempotencyKey: input.idempotencyKey,
    at: now,
  });
  await deps.recordMembershipFee({
    tx,
    memberId: input.memberId,
    planId: plan.id,
    planCode: plan.code,
    termId: term.id,
    feeMinor: term.fee_minor,
    currency: term.currency,
    idempotencyKey: `membership-fee:${input.memberId}:${input.idempotencyKey}`,
    at: now,
  });
  await upsertMembership(tx, {
    memberId: input.memberId,
    planId: plan.id,
    status: 'active',
    since: running ? current.current_term_start : now,
    paidThrough: endsAt,
    // A purchase keeps the member's choice; an automatic one was made because it was on.
    autoRenew: current?.auto_renew ?? false,
    at: now,
  });
  return term;
}

/**
 * Turns automatic renewal on or off for a running membership (a trial included: on, the trial
 * converts into a paid term at its end). Turning it on after cancelling takes the cancellation
 * back.
 */
export async function setAutoRenew(
  deps: MemberDeps,
  input: { memberId: string; enabled: boolean },
): Promise<PaidStatusView> {
  await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock.now();
    await lockActiveMember(tx, input.memberId);
    const current = await currentMembership(tx, input.memberId);
    if (!current || current.status === 'expired' || current.current_term_end <= now) {
      throw new AppError('business_rule', 'There is no running paid membership to renew.', {
        extra: { reason: 'nothing_to_renew' },
      });
    }
    const status: PaidStatus =
      current.status === 'cancelled' && input.enabled
        ? await runningTermKind(tx, input.memberId, current.current_term_end)
        : current.status;
    await tx
      .updateTable('paid_memberships')
      .set({
        auto_renew: input.enabled,
        auto_renew_set_at: now,
        status,
        cancelled_at: status === 'cancelled' ? current.cancelled_at : null,
        updated_at: now,
      })
      .where('member_id', '=', input.memberId)
      .execute();
  });
  return paidStatus(deps, input.memberId);
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
    .set({ status: 'cancelled', cancelled_at: now, auto_renew: false, updated_at: now })
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
    autoRenew: boolean;
    at: Date;
  },
): Promise<void> {
  const state = {
    plan_id: m.planId,
    status: m.status,
    current_term_start: m.since,
    current_term_end: m.paidThrough,
    cancelled_at: null,
    auto_renew: m.autoRenew,
    updated_at: m.at,
  };
  await db
    .insertInto('paid_memberships')
    .values({ member_id: m.memberId, ...state })
    .onConflict((oc) => oc.column('member_id').doUpdateSet(state))
    .execute();
}

export type PaidMembershipValue = {
  /** Uses of paid-only benefits since `since`, and what they saved when known. */
  benefitUses: number;
  benefitValueMinor: number;
  /** Fees paid for terms that started since `since`. */
  feesPaidMinor: number;
};

/** What the paid membership gave and cost the member since a moment (their membership's start). */
export async function paidMembershipValue(
  db: Db,
  memberId: string,
  since: Date,
): Promise<PaidMembershipValue> {
  const [benefits, fees] = await Promise.all([
    db
      .selectFrom('benefit_uses as u')
      .innerJoin('benefits as b', 'b.id', 'u.benefit_id')
      .select([
        sql<number>`count(*)::int8`.as('uses'),
        sql<number>`coalesce(sum(u.value_minor), 0)::int8`.as('value'),
      ])
      .where('u.member_id', '=', memberId)
      .where('b.paid_only', '=', true)
      .where('u.used_at', '>=', since)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('paid_membership_terms')
      .select(sql<number>`coalesce(sum(fee_minor), 0)::int8`.as('fees'))
      .where('member_id', '=', memberId)
      .where('starts_at', '>=', since)
      .executeTakeFirstOrThrow(),
  ]);
  return {
    benefitUses: Number(benefits.uses),
    benefitValueMinor: Number(benefits.value),
    feesPaidMinor: Number(fees.fees),
  };
}
