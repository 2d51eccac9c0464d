import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  AppError,
  type Db,
  type MembershipPayment,
  type MembershipPaymentPurpose,
  newId,
} from '../platform/index.ts';
import { lockActiveMember, type MemberDeps } from './members.ts';
import {
  type PaidStatusView,
  paidStatus,
  type RecordMembershipFee,
  startPaidTerm,
} from './paid.ts';
import { planFeeFor, requirePlan } from './plans.ts';

/**
 * Paying for the super-membership. A payment is made in three steps, because a payment provider
 * (Alipay, WeChat Pay) is another system: the payment row is written first (pending, the fee
 * for the member's tier), then the provider is asked to charge it, then the outcome settles it.
 * Settling a confirmed payment is ONE transaction: the payment, the paid term it buys, the fee
 * posted in the ledger and the membership's new end commit together or not at all, and a
 * payment settles once whatever arrives twice (the charge's answer and the provider's notice).
 */

export type PaymentRequest = {
  /** The hub's id for the payment: a provider must treat a second charge of it as the first. */
  paymentId: string;
  memberId: string;
  amountMinor: number;
  currency: string;
  description: string;
  /** A charge the member agreed to in advance (an automatic renewal), made without them. */
  recurring: boolean;
};

export type PaymentOutcome =
  | { status: 'confirmed'; providerRef: string }
  | { status: 'pending'; providerRef: string | null; payUrl: string | null }
  | { status: 'failed'; reason: string };

/** A provider's notification, verified: the outcome of one of the hub's payments. */
export type PaymentNotice = {
  paymentId: string;
  providerRef: string;
  status: 'confirmed' | 'failed';
  amountMinor: number;
  currency: string;
  reason?: string;
};

/**
 * A payment provider. `charge` must be idempotent by paymentId (Alipay's and WeChat Pay's
 * out_trade_no are): the hub asks again after a crash rather than lose a payment.
 */
export type PaymentProvider = {
  readonly name: string;
  charge(request: PaymentRequest): Promise<PaymentOutcome>;
  /** A notification's raw body and headers, verified at `now`; null when not the provider's. */
  verifyNotice(
    body: string,
    headers: Record<string, string | undefined>,
    now: Date,
  ): PaymentNotice | null;
};

/** What paying for the membership needs: the provider, and how a fee reaches the ledger. */
export type PaymentDeps = MemberDeps & {
  paymentProvider: PaymentProvider;
  recordMembershipFee: RecordMembershipFee;
};

/**
 * The demo's provider: every charge is confirmed at once, and it sends no notifications. Its
 * notices (for trying the notification endpoint by hand) are signed like `hmacNotices`'.
 */
export function demoPaymentProvider(noticeSecret = 'demo-payment-notices'): PaymentProvider {
  return {
    name: 'demo',
    charge: async (request) => ({ status: 'confirmed', providerRef: `demo_${request.paymentId}` }),
    verifyNotice: (body, headers, now) => verifyHmacNotice(noticeSecret, body, headers, now),
  };
}

/** How old a signed notice may be: a captured one cannot be replayed later. */
const noticeToleranceSeconds = 300;

/**
 * Notices signed the way most providers sign webhooks: header `Payment-Signature:
 * t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the shared secret>`, and a JSON
 * body carrying a PaymentNotice. A provider adapter whose provider signs so can use this.
 */
export function verifyHmacNotice(
  secret: string,
  body: string,
  headers: Record<string, string | undefined>,
  now: Date,
): PaymentNotice | null {
  const header = headers['payment-signature'] ?? '';
  const parts = Object.fromEntries(
    header.split(',').map((p) => {
      const at = p.indexOf('=');
      return [p.slice(0, at).trim(), p.slice(at + 1).trim()];
    }),
  );
  const t = Number(parts.t);
  const v1 = parts.v1 ?? '';
  const given = /^[0-9a-f]{64}$/.test(v1) ? Buffer.from(v1, 'hex') : null;
  if (!Number.isSafeInteger(t) || given === null) return null;
  if (Math.abs(now.getTime() / 1000 - t) > noticeToleranceSeconds) return null;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  if (!timingSafeEqual(expected, given)) return null;
  return parseNotice(body);
}

/** The header value that signs a notice body (for providers' adapters, tests and the demo). */
export function signHmacNotice(secret: string, body: string, now: Date): string {
  const t = Math.floor(now.getTime() / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

function parseNotice(body: string): PaymentNotice | null {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const n = value as Record<string, unknown>;
  const text = (v: unknown, max: number) =>
    typeof v === 'string' && v.length > 0 && v.length <= max;
  if (
    !text(n.paymentId, 36) ||
    !text(n.providerRef, 200) ||
    (n.status !== 'confirmed' && n.status !== 'failed') ||
    !Number.isSafeInteger(n.amountMinor) ||
    !text(n.currency, 3)
  )
    return null;
  return {
    paymentId: n.paymentId as string,
    providerRef: n.providerRef as string,
    status: n.status,
    amountMinor: n.amountMinor as number,
    currency: n.currency as string,
    reason: typeof n.reason === 'string' ? n.reason.slice(0, 500) : undefined,
  };
}

export type PaymentView = {
  id: string;
  purpose: MembershipPaymentPurpose;
  planCode: string;
  amountMinor: number;
  currency: string;
  status: 'pending' | 'confirmed' | 'failed';
  failureReason: string | null;
  provider: string;
  /** Where the member completes a pending payment (a provider's page), when it has one. */
  payUrl: string | null;
  createdAt: Date;
  settledAt: Date | null;
  term: { id: string; startsAt: Date; endsAt: Date } | null;
};

export type PaidPurchaseResult = {
  payment: PaymentView;
  status: PaidStatusView;
  /** This Idempotency-Key had bought it before: nothing was charged again. */
  replayed: boolean;
};

const idempotencyKeyRule = /^[\x21-\x7e]{1,200}$/;

/**
 * Buys one paid term of a plan: at once with nothing running or a trial running (the trial
 * turns into the paid term), from the end of a running paid term otherwise (a renewal). The
 * fee is the plan's for the member's tier at the moment of buying. One Idempotency-Key of the
 * member's is one payment: a retry is told how it stands, never charged again.
 */
export async function buyPaidMembership(
  deps: PaymentDeps,
  input: {
    memberId: string;
    planCode: string;
    idempotencyKey: string;
    purpose: Extract<MembershipPaymentPurpose, 'subscribe' | 'renew'>;
  },
): Promise<PaidPurchaseResult> {
  if (!idempotencyKeyRule.test(input.idempotencyKey)) {
    throw new AppError('validation_failed', 'The Idempotency-Key is not valid.', {
      fields: [{ field: 'Idempotency-Key', reason: '1 to 200 visible ASCII characters' }],
    });
  }
  const opened = await openPayment(deps, input);
  let payUrl: string | null = null;
  if (opened.payment.status === 'pending') {
    // Asked again on a retry of a pending payment: the provider dedupes by payment id.
    const outcome = await chargeOrUnavailable(deps, opened.payment);
    if (outcome.status === 'pending') payUrl = outcome.payUrl;
    await settlePayment(deps, opened.payment.id, outcome);
  }
  const payment = await paymentView(deps.db, opened.payment.id, payUrl);
  return { payment, status: await paidStatus(deps, input.memberId), replayed: opened.replayed };
}

/** What the provider is asked to charge for a payment: the same on every ask. */
function chargeRequest(payment: MembershipPayment): PaymentRequest {
  return {
    paymentId: payment.id,
    memberId: payment.member_id,
    amountMinor: payment.amount_minor,
    currency: payment.currency,
    description: `Alliance super-membership (${payment.purpose})`,
    recurring: payment.purpose === 'auto_renew' || payment.purpose === 'trial_conversion',
  };
}

async function chargeOrUnavailable(
  deps: PaymentDeps,
  payment: MembershipPayment,
): Promise<PaymentOutcome> {
  try {
    return await deps.paymentProvider.charge(chargeRequest(payment));
  } catch (error) {
    // Left pending: the same key asks the provider again, and the provider's notice settles it.
    throw new AppError('unavailable', 'The payment provider did not answer; try again.', {
      retryAfterSeconds: 5,
      extra: {
        reason: 'payment_provider_unavailable',
        paymentId: payment.id,
        cause: String(error),
      },
    });
  }
}

/** Writes the pending payment (or finds the one this key made). */
async function openPayment(
  deps: PaymentDeps,
  input: {
    memberId: string;
    planCode: string;
    idempotencyKey: string;
    purpose: MembershipPaymentPurpose;
  },
): Promise<{ payment: MembershipPayment; replayed: boolean }> {
  return deps.db.transaction().execute(async (tx) => {
    const member = await lockActiveMember(tx, input.memberId);
    const plan = await requirePlan(tx, input.planCode);
    const previous = await tx
      .selectFrom('membership_payments')
      .selectAll()
      .where('member_id', '=', member.id)
      .where('idempotency_key', '=', input.idempotencyKey)
      .executeTakeFirst();
    if (previous) {
      if (previous.plan_id !== plan.id || previous.purpose !== input.purpose) {
        throw new AppError('idempotency_key_reused', 'This Idempotency-Key paid for another plan.');
      }
      return { payment: previous, replayed: true };
    }
    if (plan.status !== 'active') {
      throw new AppError('business_rule', `The plan ${plan.code} is no longer sold.`, {
        extra: { reason: 'plan_retired' },
      });
    }
    if (input.purpose === 'renew') await requireMembershipToRenew(tx, member.id);
    const payment = await tx
      .insertInto('membership_payments')
      .values({
        id: newId(),
        member_id: member.id,
        plan_id: plan.id,
        purpose: input.purpose,
        amount_minor: planFeeFor(plan, member.tier_code),
        currency: plan.currency,
        tier_code: member.tier_code,
        provider: deps.paymentProvider.name,
        status: 'pending',
        idempotency_key: input.idempotencyKey,
        created_at: deps.clock.now(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { payment, replayed: false };
  });
}

async function requireMembershipToRenew(tx: Db, memberId: string): Promise<void> {
  const current = await tx
    .selectFrom('paid_memberships')
    .select('member_id')
    .where('member_id', '=', memberId)
    .executeTakeFirst();
  if (!current) {
    throw new AppError('business_rule', 'There is no paid membership to renew: subscribe.', {
      extra: { reason: 'nothing_to_renew' },
    });
  }
}

/**
 * Applies a provider's outcome to a payment, once: a confirmed payment buys its term (and
 * posts its fee) in the same transaction that marks it confirmed; a failed one is marked
 * failed; a pending one keeps the provider's reference. A payment already settled stays as it
 * is, except that a confirmation after a failure (a late payment) still buys its term: the
 * member's money was taken.
 */
export async function settlePayment(
  deps: PaymentDeps,
  paymentId: string,
  outcome: PaymentOutcome,
): Promise<MembershipPayment> {
  return deps.db.transaction().execute(async (tx) => {
    const payment = await tx
      .selectFrom('membership_payments')
      .selectAll()
      .where('id', '=', paymentId)
      .forUpdate()
      .executeTakeFirst();
    if (!payment) throw new AppError('not_found', 'No such payment.');
    if (payment.status === 'confirmed') return payment;
    const now = deps.clock.now();
    const provider = deps.paymentProvider.name;
    if (outcome.status === 'pending') {
      if (payment.status !== 'pending') return payment;
      return tx
        .updateTable('membership_payments')
        .set({ provider, provider_ref: outcome.providerRef ?? payment.provider_ref })
        .where('id', '=', paymentId)
        .returningAll()
        .executeTakeFirstOrThrow();
    }
    if (outcome.status === 'failed') {
      if (payment.status !== 'pending') return payment;
      return tx
        .updateTable('membership_payments')
        .set({ provider, status: 'failed', failure_reason: outcome.reason, settled_at: now })
        .where('id', '=', paymentId)
        .returningAll()
        .executeTakeFirstOrThrow();
    }
    const term = await startPaidTerm(tx, deps, {
      memberId: payment.member_id,
      planId: payment.plan_id,
      feeMinor: payment.amount_minor,
      tierCode: payment.tier_code,
      fromCurrentEnd: payment.purpose !== 'subscribe',
      idempotencyKey: `payment:${payment.id}`,
      at: now,
    });
    return tx
      .updateTable('membership_payments')
      .set({
        provider,
        provider_ref: outcome.providerRef,
        status: 'confirmed',
        failure_reason: null,
        term_id: term.id,
        settled_at: now,
      })
      .where('id', '=', paymentId)
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

/**
 * A provider's notification: verified by the provider's own rule, matched to the payment by
 * id, amount and currency, then settled (once, whatever the provider repeats).
 */
export async function receivePaymentNotice(
  deps: PaymentDeps,
  body: string,
  headers: Record<string, string | undefined>,
): Promise<PaymentView> {
  const notice = deps.paymentProvider.verifyNotice(body, headers, deps.clock.now());
  if (!notice) throw new AppError('signature_invalid', 'The notice is not signed by the provider.');
  const payment = await deps.db
    .selectFrom('membership_payments')
    .selectAll()
    .where('id', '=', notice.paymentId)
    .executeTakeFirst();
  if (!payment) throw new AppError('not_found', 'No such payment.');
  if (payment.amount_minor !== notice.amountMinor || payment.currency !== notice.currency) {
    throw new AppError('business_rule', 'The notice is for another amount than the payment.', {
      extra: { reason: 'amount_mismatch' },
    });
  }
  const outcome: PaymentOutcome =
    notice.status === 'confirmed'
      ? { status: 'confirmed', providerRef: notice.providerRef }
      : { status: 'failed', reason: notice.reason ?? 'refused by the provider' };
  await settlePayment(deps, payment.id, outcome);
  return paymentView(deps.db, payment.id, null);
}

async function paymentView(db: Db, paymentId: string, payUrl: string | null): Promise<PaymentView> {
  const [view] = await paymentViews(db, { paymentId });
  if (!view) throw new AppError('not_found', 'No such payment.');
  return { ...view, payUrl };
}

/** A member's payments, newest first (or one payment by id). */
export async function paymentViews(
  db: Db,
  by: { memberId: string; limit?: number } | { paymentId: string },
): Promise<PaymentView[]> {
  let query = db
    .selectFrom('membership_payments as mp')
    .innerJoin('paid_plans as p', 'p.id', 'mp.plan_id')
    .leftJoin('paid_membership_terms as t', 't.id', 'mp.term_id')
    .selectAll('mp')
    .select(['p.code as plan_code', 't.starts_at', 't.ends_at']);
  query =
    'paymentId' in by
      ? query.where('mp.id', '=', by.paymentId)
      : query
          .where('mp.member_id', '=', by.memberId)
          .orderBy('mp.created_at', 'desc')
          .orderBy('mp.id', 'desc')
          .limit(by.limit ?? 50);
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    purpose: r.purpose,
    planCode: r.plan_code,
    amountMinor: r.amount_minor,
    currency: r.currency,
    status: r.status,
    failureReason: r.failure_reason,
    provider: r.provider,
    payUrl: null,
    createdAt: r.created_at,
    settledAt: r.settled_at,
    term:
      r.term_id !== null && r.starts_at !== null && r.ends_at !== null
        ? { id: r.term_id, startsAt: r.starts_at, endsAt: r.ends_at }
        : null,
  }));
}

/** An automatic charge (renewal or a trial's conversion), made by the renewal job. */
export async function chargeAutomatically(
  deps: PaymentDeps,
  input: {
    memberId: string;
    planCode: string;
    purpose: Extract<MembershipPaymentPurpose, 'auto_renew' | 'trial_conversion'>;
    /** The end of the term this charge extends: one charge per term, whatever retries. */
    termEnd: Date;
  },
): Promise<MembershipPayment> {
  const opened = await openPayment(deps, {
    memberId: input.memberId,
    planCode: input.planCode,
    purpose: input.purpose,
    idempotencyKey: `auto-renew:${input.termEnd.toISOString()}`,
  });
  if (opened.payment.status !== 'pending') return opened.payment;
  let outcome: PaymentOutcome;
  try {
    outcome = await deps.paymentProvider.charge(chargeRequest(opened.payment));
  } catch {
    // Left pending; the next run asks again (the provider dedupes by payment id).
    return opened.payment;
  }
  return settlePayment(deps, opened.payment.id, outcome);
}

/** Payments left pending this long with no notice are failed: the member was not charged. */
export const pendingPaymentTimeoutMs = 24 * 3_600_000;

/** Fails payments that stayed pending past the timeout (never confirmed by the provider). */
export async function failStalePayments(deps: MemberDeps): Promise<{ failed: number }> {
  const now = deps.clock.now();
  const result = await deps.db
    .updateTable('membership_payments')
    .set({ status: 'failed', failure_reason: 'no confirmation from the provider', settled_at: now })
    .where('status', '=', 'pending')
    .where('created_at', '<', new Date(now.getTime() - pendingPaymentTimeoutMs))
    .executeTakeFirst();
  return { failed: Number(result.numUpdatedRows) };
}
