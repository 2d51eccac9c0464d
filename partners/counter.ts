import type { ExtraPostings, Ledger } from '../ledger/index.ts';
import {
  cachedTiers,
  consumePayCode,
  findMemberById,
  findMemberByPartnerCustomerId,
  isPaidMember,
  type MemberProfile,
  recordGrowthEvent,
  type TierView,
} from '../members/index.ts';
import { AppError, multiplyFloor, type Services } from '../platform/index.ts';
import { getPartnerStore } from './registry.ts';
import { getCounterRules } from './rule-store.ts';
import {
  type Accrual,
  computeAccrual,
  type EarnRule,
  maxRedeemablePoints,
  pointsValueMinor,
} from './rules.ts';

/**
 * What happens at a partner's counter: purchases earn points, points pay for orders, refunds
 * take back what a purchase earned or give back what a redemption took. The partner names
 * everything by its own order ids; each order id earns once and redeems once, so a retry can
 * never apply twice even when the HTTP idempotency record is gone.
 */
export type CounterDeps = {
  services: Services;
  ledger: Ledger;
  /** Clearing obligations written with every redemption (settlement's rules). */
  clearing?: ExtraPostings;
};

export type MemberRef = { memberId: string } | { customerId: string };

/** The member a partner names: by its own customer id (linked to it) or by alliance member id. */
export async function resolveMember(
  deps: CounterDeps,
  partnerId: string,
  ref: MemberRef,
): Promise<MemberProfile> {
  const db = deps.services.db;
  const member =
    'customerId' in ref
      ? await findMemberByPartnerCustomerId(db, partnerId, ref.customerId)
      : await findMemberById(db, ref.memberId);
  if (!member) throw new AppError('not_found', 'No such member.');
  if (member.status !== 'active') throw new AppError('business_rule', 'The membership is closed.');
  return member;
}

/**
 * The earn rule a purchase is scored by: the alliance's tier multipliers apply unless the
 * partner's rule sets its own for a tier.
 */
export function withAllianceTiers(earn: EarnRule, tiers: TierView[]): EarnRule {
  const allianceTiers = Object.fromEntries(tiers.map((t) => [t.code, t.earnMultiplier]));
  return { ...earn, tierMultipliers: { ...allianceTiers, ...earn.tierMultipliers } };
}

export type PurchaseInput = {
  orderId: string;
  storeCode: string;
  amountMinor: number;
  lines?: { category: string; amountMinor: number }[];
  purchasedAt: Date;
  member: MemberRef;
};

export type PurchaseResult = {
  orderId: string;
  memberId: string;
  points: number;
  entryId: string | null;
  accrual: Accrual;
  replayed: boolean;
};

/** Points for a purchase by the partner's earn rule, the member's tier and paid membership. */
export async function accrueForPurchase(
  deps: CounterDeps,
  partnerId: string,
  input: PurchaseInput,
): Promise<PurchaseResult> {
  const { services, ledger } = deps;
  const store = await getPartnerStore(services.db, partnerId, { code: input.storeCode });
  const member = await resolveMember(deps, partnerId, input.member);
  const [{ rules, policy }, tiers, paid] = await Promise.all([
    getCounterRules(services.db, partnerId),
    cachedTiers(services.db),
    isPaidMember(services, member.id),
  ]);
  const accrual = computeAccrual(
    withAllianceTiers(rules.earn, tiers),
    input,
    { tier: member.tierCode, paidMember: paid },
    { instant: input.purchasedAt, timeZone: rules.timeZone },
  );
  const metadata = {
    orderId: input.orderId,
    storeCode: store.code,
    amountMinor: input.amountMinor,
  };
  const booked =
    accrual.points > 0
      ? await ledger.accrue({
          partnerId,
          memberId: member.id,
          points: accrual.points,
          idempotencyKey: `purchase:${input.orderId}`,
          // From the purchase, not from when the hub heard of it: a retry asks for the same lot.
          expiresAt: new Date(input.purchasedAt.getTime() + policy.lifetimeMs),
          metadata,
        })
      : undefined;
  await services.db
    .insertInto('counter_purchases')
    .values({
      partner_id: partnerId,
      order_id: input.orderId,
      member_id: member.id,
      store_id: store.id,
      amount_minor: input.amountMinor,
      points: accrual.points,
      entry_id: booked?.entryId ?? null,
      purchased_at: input.purchasedAt,
    })
    .onConflict((oc) => oc.columns(['partner_id', 'order_id']).doNothing())
    .execute();
  await recordGrowthEvent(services, {
    memberId: member.id,
    partnerId,
    kind: 'purchase',
    amount: input.amountMinor,
    eventRef: `purchase:${input.orderId}`,
    occurredAt: input.purchasedAt,
  });
  return {
    orderId: input.orderId,
    memberId: member.id,
    points: accrual.points,
    entryId: booked?.entryId ?? null,
    accrual,
    replayed: booked?.replayed ?? false,
  };
}

export type RedemptionInput = {
  payCode: string;
  storeCode: string;
  orderId: string;
  orderAmountMinor: number;
  points: number;
};

/** What a redemption needs once the order is checked; the hold waits holdTtlMs at most. */
type Prepared = { memberId: string; storeId: string; valueMinor: number; holdTtlMs: number };

/** The ledger request for an order's points, the same whether they are held or taken at once. */
function spendRequest(partnerId: string, memberId: string, input: RedemptionInput) {
  return {
    partnerId,
    memberId,
    points: input.points,
    idempotencyKey: `redemption:${input.orderId}`,
    metadata: {
      orderId: input.orderId,
      storeCode: input.storeCode,
      orderAmountMinor: input.orderAmountMinor,
    },
  };
}

/**
 * Checks the order before the pay code is used up (a refused order leaves the member's code
 * valid), then consumes the code. A retry of an order already authorised finds it by order id
 * instead of asking for the used code again.
 */
async function prepareRedemption(
  deps: CounterDeps,
  partnerId: string,
  input: RedemptionInput,
): Promise<Prepared> {
  const { services } = deps;
  const store = await getPartnerStore(services.db, partnerId, { code: input.storeCode });
  const { rules, policy } = await getCounterRules(services.db, partnerId);
  const max = maxRedeemablePoints(input.orderAmountMinor, rules.burn);
  if (input.points > max) {
    throw new AppError('business_rule', `Points may pay at most ${max} points of this order.`, {
      fields: [
        { field: 'points', reason: `at most ${max} for an order of ${input.orderAmountMinor}` },
      ],
    });
  }
  const existing = await services.db
    .selectFrom('counter_redemptions')
    .select(['member_id'])
    .where('partner_id', '=', partnerId)
    .where('order_id', '=', input.orderId)
    .executeTakeFirst();
  const memberId =
    existing?.member_id ??
    (await consumePayCode(services, input.payCode, { callerId: partnerId })).memberId;
  return {
    memberId,
    storeId: store.id,
    valueMinor: pointsValueMinor(input.points, rules.burn),
    holdTtlMs: policy.holdTtlMs,
  };
}

export type AuthorisedRedemption = {
  holdId: string;
  orderId: string;
  memberId: string;
  points: number;
  valueMinor: number;
  expiresAt: string;
  replayed: boolean;
};

/** Step one of two: the member's pay code authorises holding points for an order. */
export async function authoriseRedemption(
  deps: CounterDeps,
  partnerId: string,
  input: RedemptionInput,
): Promise<AuthorisedRedemption> {
  const p = await prepareRedemption(deps, partnerId, input);
  const held = await deps.ledger.hold({
    ...spendRequest(partnerId, p.memberId, input),
    expiresAt: new Date(deps.services.clock.now().getTime() + p.holdTtlMs),
  });
  await recordRedemption(deps, partnerId, input, p, { hold_id: held.holdId, status: 'authorised' });
  return {
    holdId: held.holdId,
    orderId: input.orderId,
    memberId: p.memberId,
    points: held.points,
    valueMinor: p.valueMinor,
    expiresAt: held.expiresAt,
    replayed: held.replayed,
  };
}

export type SpentRedemption = {
  orderId: string;
  memberId: string;
  entryId: string;
  points: number;
  valueMinor: number;
  replayed: boolean;
};

/** One step: points pay for an order at once. */
export async function redeemForOrder(
  deps: CounterDeps,
  partnerId: string,
  input: RedemptionInput,
): Promise<SpentRedemption> {
  const p = await prepareRedemption(deps, partnerId, input);
  const spent = await deps.ledger.redeem({
    ...spendRequest(partnerId, p.memberId, input),
    extraPostings: deps.clearing,
  });
  await recordRedemption(deps, partnerId, input, p, {
    entry_id: spent.entryId,
    status: 'redeemed',
  });
  return {
    orderId: input.orderId,
    memberId: p.memberId,
    entryId: spent.entryId,
    points: spent.points,
    valueMinor: p.valueMinor,
    replayed: spent.replayed,
  };
}

async function recordRedemption(
  deps: CounterDeps,
  partnerId: string,
  input: RedemptionInput,
  p: Prepared,
  state: { hold_id?: string; entry_id?: string; status: 'authorised' | 'redeemed' },
): Promise<void> {
  await deps.services.db
    .insertInto('counter_redemptions')
    .values({
      partner_id: partnerId,
      order_id: input.orderId,
      member_id: p.memberId,
      store_id: p.storeId,
      order_amount_minor: input.orderAmountMinor,
      points: input.points,
      ...state,
    })
    .onConflict((oc) => oc.columns(['partner_id', 'order_id']).doNothing())
    .execute();
}

async function redemptionByHold(deps: CounterDeps, partnerId: string, holdId: string) {
  const row = await deps.services.db
    .selectFrom('counter_redemptions')
    .selectAll()
    .where('partner_id', '=', partnerId)
    .where('hold_id', '=', holdId)
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', 'No such authorisation for this partner.');
  return row;
}

/** Step two: take all or part of what was authorised; the rest goes back to the member. */
export async function captureRedemption(
  deps: CounterDeps,
  partnerId: string,
  holdId: string,
  points?: number,
): Promise<SpentRedemption & { holdId: string; released: number }> {
  const row = await redemptionByHold(deps, partnerId, holdId);
  const captured = await deps.ledger.capture({
    partnerId,
    holdId,
    points,
    idempotencyKey: `hold:${holdId}:capture`,
    metadata: { orderId: row.order_id },
    extraPostings: deps.clearing,
  });
  await deps.services.db
    .updateTable('counter_redemptions')
    .set({
      status: 'captured',
      entry_id: captured.entryId,
      points: captured.points,
      updated_at: deps.services.clock.now(),
    })
    .where('partner_id', '=', partnerId)
    .where('hold_id', '=', holdId)
    .execute();
  const { rules } = await getCounterRules(deps.services.db, partnerId);
  return {
    holdId,
    orderId: row.order_id,
    memberId: row.member_id,
    entryId: captured.entryId,
    points: captured.points,
    valueMinor: pointsValueMinor(captured.points, rules.burn),
    released: captured.released,
    replayed: captured.replayed,
  };
}

/** Step two, the other way: nothing is taken; every held point goes back. */
export async function voidRedemption(
  deps: CounterDeps,
  partnerId: string,
  holdId: string,
): Promise<{ holdId: string; orderId: string; released: number; replayed: boolean }> {
  const row = await redemptionByHold(deps, partnerId, holdId);
  const voided = await deps.ledger.voidHold({
    partnerId,
    holdId,
    idempotencyKey: `hold:${holdId}:void`,
  });
  await deps.services.db
    .updateTable('counter_redemptions')
    .set({ status: 'voided', updated_at: deps.services.clock.now() })
    .where('partner_id', '=', partnerId)
    .where('hold_id', '=', holdId)
    .execute();
  return { holdId, orderId: row.order_id, released: voided.released, replayed: voided.replayed };
}

export type RefundResult = {
  refundId: string;
  orderId: string;
  kind: 'purchase' | 'redemption';
  entryId: string | null;
  /** Points taken back from (purchase) or returned to (redemption) the member. */
  points: number;
  /** Points a purchase earned that the member had already spent: not recoverable. */
  unrecoveredPoints: number;
  replayed: boolean;
};

async function storedRefund(
  deps: CounterDeps,
  partnerId: string,
  refundId: string,
  tx = deps.services.db,
): Promise<RefundResult | undefined> {
  const row = await tx
    .selectFrom('counter_refunds')
    .selectAll()
    .where('partner_id', '=', partnerId)
    .where('refund_id', '=', refundId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    refundId,
    orderId: row.order_id,
    kind: row.kind,
    entryId: row.entry_id,
    points: row.points,
    unrecoveredPoints: row.unrecovered_points,
    replayed: true,
  };
}

function sameRefund(stored: RefundResult, input: { orderId: string; kind: string }): RefundResult {
  if (stored.orderId !== input.orderId || stored.kind !== input.kind) {
    throw new AppError(
      'idempotency_key_reused',
      'This refund id was already used for another refund.',
    );
  }
  return stored;
}

/**
 * A purchase refund takes back the points it earned, in proportion to the amount refunded
 * (rounded down over the cumulative refunded amount, so partial refunds add up exactly).
 * Each refund id applies once.
 */
export async function refundPurchase(
  deps: CounterDeps,
  partnerId: string,
  input: { refundId: string; orderId: string; refundAmountMinor: number },
): Promise<RefundResult> {
  const { services, ledger } = deps;
  const outcome = await services.db.transaction().execute(async (tx) => {
    const row = await tx
      .selectFrom('counter_purchases')
      .selectAll()
      .where('partner_id', '=', partnerId)
      .where('order_id', '=', input.orderId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such purchase for this partner.');
    const stored = await storedRefund(deps, partnerId, input.refundId, tx);
    if (stored)
      return {
        result: sameRefund(stored, { ...input, kind: 'purchase' }),
        memberId: row.member_id,
      };
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
    await tx
      .updateTable('counter_purchases')
      .set({ refunded_minor: refunded })
      .where('partner_id', '=', partnerId)
      .where('order_id', '=', input.orderId)
      .execute();
    await tx
      .insertInto('counter_refunds')
      .values({
        partner_id: partnerId,
        refund_id: input.refundId,
        order_id: input.orderId,
        kind: 'purchase',
        amount_minor: input.refundAmountMinor,
        points: back.points,
        unrecovered_points: back.unrecovered,
        entry_id: back.entryId,
      })
      .execute();
    const result: RefundResult = {
      refundId: input.refundId,
      orderId: input.orderId,
      kind: 'purchase',
      entryId: back.entryId,
      points: back.points,
      unrecoveredPoints: back.unrecovered,
      replayed: false,
    };
    return { result, memberId: row.member_id };
  });
  await recordGrowthEvent(services, {
    memberId: outcome.memberId,
    partnerId,
    kind: 'refund',
    amount: -input.refundAmountMinor,
    eventRef: `refund:${input.refundId}`,
    occurredAt: services.clock.now(),
  });
  return outcome.result;
}

/** A redemption refund gives the member back every point the order took. */
export async function refundRedemption(
  deps: CounterDeps,
  partnerId: string,
  input: { refundId: string; orderId: string },
): Promise<RefundResult> {
  const stored = await storedRefund(deps, partnerId, input.refundId);
  if (stored) return sameRefund(stored, { ...input, kind: 'redemption' });
  const row = await deps.services.db
    .selectFrom('counter_redemptions')
    .selectAll()
    .where('partner_id', '=', partnerId)
    .where('order_id', '=', input.orderId)
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', 'No such redemption for this partner.');
  if (!row.entry_id)
    throw new AppError(
      'conflict',
      `The redemption is ${row.status}: nothing was taken to give back.`,
    );
  const reversed = await deps.ledger.reverse({
    partnerId,
    entryId: row.entry_id,
    idempotencyKey: `refund:${input.refundId}`,
    reason: `refund ${input.refundId}`,
  });
  await deps.services.db.transaction().execute(async (tx) => {
    await tx
      .updateTable('counter_redemptions')
      .set({ status: 'refunded', updated_at: deps.services.clock.now() })
      .where('partner_id', '=', partnerId)
      .where('order_id', '=', input.orderId)
      .execute();
    await tx
      .insertInto('counter_refunds')
      .values({
        partner_id: partnerId,
        refund_id: input.refundId,
        order_id: input.orderId,
        kind: 'redemption',
        amount_minor: row.order_amount_minor,
        points: reversed.points,
        entry_id: reversed.entryId,
      })
      .onConflict((oc) => oc.columns(['partner_id', 'refund_id']).doNothing())
      .execute();
  });
  return {
    refundId: input.refundId,
    orderId: input.orderId,
    kind: 'redemption',
    entryId: reversed.entryId,
    points: reversed.points,
    unrecoveredPoints: 0,
    replayed: reversed.replayed,
  };
}
