import { growthRules, recordRefundGrowth } from '../members/index.ts';
import { AppError, multiplyFloor, recordEvent } from '../platform/index.ts';
import type { CounterDeps } from './deps.ts';
import { type Outcome, once, type TillRequestKey } from './once.ts';
import {
  addRefundedAmount,
  findRefund,
  insertRefund,
  lockPurchase,
  lockRedemptionByOrder,
  markRedemptionRefunded,
  type RefundRow,
} from './store.ts';
import { checkFields } from './validation.ts';

/** What a till is told for a refund, and told again for every retry of it. */
export type RefundAnswer = {
  refundId: string;
  orderId: string;
  kind: 'purchase' | 'redemption';
  entryId: string | null;
  /** Points taken back from (purchase) or returned to (redemption) the member. */
  points: number;
  /** Points a purchase earned that the member had already spent: not recoverable. */
  unrecoveredPoints: number;
};

function answerOf(row: RefundRow): RefundAnswer {
  return {
    refundId: row.refund_id,
    orderId: row.order_id,
    kind: row.kind,
    entryId: row.entry_id,
    points: row.points,
    unrecoveredPoints: row.unrecovered_points,
  };
}

type NewRefund = Parameters<typeof insertRefund>[1];

/**
 * Records a refund and answers it as a retry of it will be answered (from the row); the
 * partner is told (refund.booked) in the same transaction.
 */
async function recordRefund(
  tx: Parameters<typeof insertRefund>[0],
  refund: NewRefund,
  booked: { memberId: string; at: Date },
) {
  await insertRefund(tx, refund);
  const answer: RefundAnswer = {
    refundId: refund.refundId,
    orderId: refund.orderId,
    kind: refund.kind,
    entryId: refund.entryId,
    points: refund.points,
    unrecoveredPoints: refund.unrecoveredPoints,
  };
  await recordEvent(tx, {
    type: 'refund.booked',
    occurredAt: booked.at,
    audience: [refund.partnerId],
    data: { ...answer, memberId: booked.memberId, amountMinor: refund.amountMinor },
  });
  return { answer, replayed: false };
}

/** A refund id names one refund: the same refund again gets its first answer. */
function sameRefund(
  row: RefundRow,
  asked: { orderId: string; kind: string; amountMinor?: number },
): Outcome<RefundAnswer> {
  const same =
    row.order_id === asked.orderId &&
    row.kind === asked.kind &&
    (asked.amountMinor === undefined || row.amount_minor === asked.amountMinor);
  if (!same)
    throw new AppError('conflict', 'This refund id was already used for another refund.', {
      fields: [{ field: 'refundId', reason: 'already used for another refund' }],
    });
  return { answer: answerOf(row), replayed: true };
}

/**
 * A purchase refund takes back the points it earned, in proportion to the amount refunded
 * (rounded down over the cumulative refunded amount, so partial refunds add up exactly), and
 * the growth value it gave; in ONE transaction. Each refund id applies once.
 */
export async function refundPurchase(
  deps: CounterDeps,
  partnerId: string,
  input: { refundId: string; orderId: string; refundAmountMinor: number },
  key?: TillRequestKey,
): Promise<Outcome<RefundAnswer>> {
  checkFields([
    ['refundId', input.refundId, 'text'],
    ['orderId', input.orderId, 'text'],
    ['refundAmountMinor', input.refundAmountMinor, 'amount'],
  ]);
  const { services, ledger } = deps;
  // Read before the transaction (see captureRedemption).
  const rules = await growthRules(services.db);
  return once(deps, 'refund', key, async (tx) => {
    const row = await lockPurchase(tx, partnerId, input.orderId);
    if (!row) throw new AppError('not_found', 'No such purchase for this partner.');
    const stored = await findRefund(tx, partnerId, input.refundId);
    if (stored)
      return sameRefund(stored, {
        orderId: input.orderId,
        kind: 'purchase',
        amountMinor: input.refundAmountMinor,
      });
    const refunded = row.refunded_minor + input.refundAmountMinor;
    if (refunded > row.amount_minor) {
      throw new AppError(
        'business_rule',
        `At most ${row.amount_minor - row.refunded_minor} of this purchase is left to refund.`,
        {
          fields: [
            { field: 'refundAmountMinor', reason: 'more than the purchase has left to refund' },
          ],
        },
      );
    }
    // The member's row is locked here, before any ledger account: the order of every lock.
    await recordRefundGrowth(
      services,
      {
        memberId: row.member_id,
        partnerId,
        kind: 'refund',
        amount: -input.refundAmountMinor,
        eventRef: `refund:${input.refundId}`,
        occurredAt: services.clock.now(),
      },
      tx,
      rules,
    );
    // Exact integers (points x amount can pass 2^53), rounded down over the cumulative amount.
    const earnedBy = (refundedMinor: number) =>
      multiplyFloor(row.points, { numerator: refundedMinor, denominator: row.amount_minor });
    const points = earnedBy(refunded) - earnedBy(row.refunded_minor);
    const back =
      points > 0 && row.entry_id
        ? await ledger.clawBack({
            partnerId,
            accrualEntryId: row.entry_id,
            points,
            idempotencyKey: `refund:${input.refundId}`,
            metadata: { orderId: input.orderId, refundId: input.refundId },
            tx,
          })
        : { entryId: null, points: 0, unrecovered: 0 };
    await addRefundedAmount(tx, partnerId, input.orderId, refunded);
    const refund: NewRefund = {
      partnerId,
      refundId: input.refundId,
      orderId: input.orderId,
      kind: 'purchase',
      amountMinor: input.refundAmountMinor,
      points: back.points,
      unrecoveredPoints: back.unrecovered,
      entryId: back.entryId,
    };
    return recordRefund(tx, refund, { memberId: row.member_id, at: services.clock.now() });
  });
}

/** A redemption refund gives the member back every point the order took, in ONE transaction. */
export async function refundRedemption(
  deps: CounterDeps,
  partnerId: string,
  input: { refundId: string; orderId: string },
  key?: TillRequestKey,
): Promise<Outcome<RefundAnswer>> {
  checkFields([
    ['refundId', input.refundId, 'text'],
    ['orderId', input.orderId, 'text'],
  ]);
  return once(deps, 'refund', key, async (tx) => {
    const row = await lockRedemptionByOrder(tx, partnerId, input.orderId);
    if (!row) throw new AppError('not_found', 'No such redemption for this partner.');
    const stored = await findRefund(tx, partnerId, input.refundId);
    if (stored) return sameRefund(stored, { orderId: input.orderId, kind: 'redemption' });
    if (!row.entry_id || (row.status !== 'captured' && row.status !== 'redeemed'))
      throw new AppError(
        'conflict',
        `The redemption is ${row.status}: nothing was taken to give back.`,
      );
    const reversed = await deps.ledger.reverse({
      partnerId,
      entryId: row.entry_id,
      idempotencyKey: `refund:${input.refundId}`,
      reason: `refund ${input.refundId}`,
      tx,
    });
    const now = deps.services.clock.now();
    await markRedemptionRefunded(tx, row, now);
    const refund: NewRefund = {
      partnerId,
      refundId: input.refundId,
      orderId: input.orderId,
      kind: 'redemption',
      amountMinor: row.order_amount_minor,
      points: reversed.points,
      unrecoveredPoints: 0,
      entryId: reversed.entryId,
    };
    return recordRefund(tx, refund, { memberId: row.member_id, at: now });
  });
}
