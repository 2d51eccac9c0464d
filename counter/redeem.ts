import {
  countPayCodeMiss,
  dropPayCode,
  forgivePayCodeMiss,
  type PresentedPayCode,
  readPayCode,
  usePayCode,
} from '../members/index.ts';
import {
  getCounterRules,
  getPartnerStore,
  maxRedeemablePoints,
  pointsValueMinor,
} from '../partners/index.ts';
import { AppError, type Db, recordEvent } from '../platform/index.ts';
import type { CounterDeps } from './deps.ts';
import { type Outcome, once, type TillRequestKey } from './once.ts';
import {
  factsDigest,
  finishRedemption,
  insertRedemption,
  lockRedemptionByHold,
  lockRedemptionByOrder,
  type RedemptionRow,
} from './store.ts';
import { checkFields, checkRedemption, type RedemptionInput } from './validation.ts';

/** What a till is told when points are held for an order. */
export type AuthorisationAnswer = {
  holdId: string;
  orderId: string;
  memberId: string;
  points: number;
  valueMinor: number;
  expiresAt: string;
};

/** What a till is told when points pay for an order (at once, or by capturing a hold). */
export type RedemptionAnswer = {
  orderId: string;
  memberId: string;
  entryId: string;
  points: number;
  valueMinor: number;
};

export type CaptureAnswer = RedemptionAnswer & { holdId: string; released: number };
export type VoidAnswer = { holdId: string; orderId: string; released: number };

type Step = 'authorise' | 'redeem';

/** The digest of what the till asked for an order (not the pay code: a retry may show a new one). */
function redemptionHash(step: Step, input: RedemptionInput): string {
  const facts = {
    step,
    orderId: input.orderId,
    storeCode: input.storeCode,
    orderAmountMinor: input.orderAmountMinor,
    points: input.points,
  };
  return factsDigest(facts);
}

/** The first answer for an order already redeemed, if this is the same request. */
function sameRedemption<T>(row: RedemptionRow, hash: string): Outcome<T> {
  if (row.request_hash !== hash || row.answer === null)
    throw new AppError(
      'order_reused',
      `Order ${row.order_id} was already redeemed with other details.`,
    );
  return { answer: JSON.parse(row.answer) as T, replayed: true };
}

function payCodeInvalid(): AppError {
  return new AppError('pay_code_invalid', 'The pay code is not valid.');
}

/**
 * What authorising and one-step redeeming share: the order checked against the burn rule
 * before the pay code is read (a refused order leaves the code valid), the code read with its
 * miss counted in the same step (so concurrent guesses cannot pass the limit), then ONE
 * transaction that finds a retried order, uses the code up and spends or holds the points,
 * with the counter row and the kept answer. The code leaves Redis after the commit.
 */
async function spendWithPayCode<T>(
  deps: CounterDeps,
  step: Step,
  partnerId: string,
  input: RedemptionInput,
  key: TillRequestKey | undefined,
  spend: (
    tx: Db,
    code: PresentedPayCode,
    order: { storeId: string; valueMinor: number; holdTtlMs: number; hash: string },
  ) => Promise<T>,
): Promise<Outcome<T>> {
  checkRedemption(input);
  const { services } = deps;
  const [store, { rules, policy }] = await Promise.all([
    getPartnerStore(services.db, partnerId, { code: input.storeCode }),
    getCounterRules(services.db, partnerId),
  ]);
  const max = maxRedeemablePoints(input.orderAmountMinor, rules.burn);
  if (input.points > max) {
    throw new AppError('business_rule', `Points may pay at most ${max} points of this order.`, {
      fields: [
        { field: 'points', reason: `at most ${max} for an order of ${input.orderAmountMinor}` },
      ],
    });
  }
  const order = {
    storeId: store.id,
    valueMinor: pointsValueMinor(input.points, rules.burn),
    holdTtlMs: policy.holdTtlMs,
    hash: redemptionHash(step, input),
  };
  // Read before the transaction; a miss counts against this partner's guesses at once.
  const code = await readPayCode(services, input.payCode, partnerId);
  let codeRefused = false;
  const outcome = await once(deps, step, key, async (tx) => {
    codeRefused = false;
    const existing = await lockRedemptionByOrder(tx, partnerId, input.orderId);
    if (existing) return sameRedemption<T>(existing, order.hash);
    if (!code) throw payCodeInvalid();
    const use = { ...code, partnerId, orderId: input.orderId, at: services.clock.now() };
    if (!(await usePayCode(tx, use))) {
      codeRefused = true;
      throw payCodeInvalid();
    }
    return { answer: await spend(tx, code, order), replayed: false };
  }).catch(async (error: unknown) => {
    // A live code that could not be used (used already, its member gone) is a miss too.
    if (codeRefused) await countPayCodeMiss(services, partnerId);
    throw error;
  });
  if (outcome.replayed) {
    // A retry of an order already redeemed: its code, used and gone, was no guess.
    if (!code) await forgivePayCodeMiss(services, partnerId);
  } else await dropPayCode(services, input.payCode);
  return outcome;
}

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

/** Step one of two: the member's pay code authorises holding points for an order. */
export async function authoriseRedemption(
  deps: CounterDeps,
  partnerId: string,
  input: RedemptionInput,
  key?: TillRequestKey,
): Promise<Outcome<AuthorisationAnswer>> {
  return spendWithPayCode(deps, 'authorise', partnerId, input, key, async (tx, code, order) => {
    const held = await deps.ledger.hold({
      ...spendRequest(partnerId, code.memberId, input),
      expiresAt: new Date(deps.services.clock.now().getTime() + order.holdTtlMs),
      tx,
    });
    const answer: AuthorisationAnswer = {
      holdId: held.holdId,
      orderId: input.orderId,
      memberId: code.memberId,
      points: held.points,
      valueMinor: order.valueMinor,
      expiresAt: held.expiresAt,
    };
    await recordRedemption(tx, partnerId, input, code.memberId, order, {
      holdId: held.holdId,
      entryId: null,
      status: 'authorised',
      answer,
    });
    return answer;
  });
}

/** One step: points pay for an order at once. */
export async function redeemForOrder(
  deps: CounterDeps,
  partnerId: string,
  input: RedemptionInput,
  key?: TillRequestKey,
): Promise<Outcome<RedemptionAnswer>> {
  return spendWithPayCode(deps, 'redeem', partnerId, input, key, async (tx, code, order) => {
    const spent = await deps.ledger.redeem({
      ...spendRequest(partnerId, code.memberId, input),
      extraPostings: deps.clearing,
      tx,
    });
    const answer: RedemptionAnswer = {
      orderId: input.orderId,
      memberId: code.memberId,
      entryId: spent.entryId,
      points: spent.points,
      valueMinor: order.valueMinor,
    };
    await recordRedemption(tx, partnerId, input, code.memberId, order, {
      holdId: null,
      entryId: spent.entryId,
      status: 'redeemed',
      answer,
    });
    await capturedEvent(tx, partnerId, { holdId: null, ...answer, released: 0 }, deps);
    return answer;
  });
}

async function recordRedemption(
  tx: Db,
  partnerId: string,
  input: RedemptionInput,
  memberId: string,
  order: { storeId: string; hash: string },
  state: {
    holdId: string | null;
    entryId: string | null;
    status: 'authorised' | 'redeemed';
    answer: unknown;
  },
): Promise<void> {
  const inserted = await insertRedemption(tx, {
    partnerId,
    orderId: input.orderId,
    memberId,
    storeId: order.storeId,
    orderAmountMinor: input.orderAmountMinor,
    points: input.points,
    holdId: state.holdId,
    entryId: state.entryId,
    status: state.status,
    requestHash: order.hash,
    answer: JSON.stringify(state.answer),
  });
  // The ledger's key for the order is the guard; this row cannot exist without it.
  if (!inserted) throw new Error(`counter: order ${input.orderId} was redeemed twice`);
}

/**
 * The authorisation a capture or void ends, locked, or the first answer again when the same
 * ending was asked before (another ending is a conflict).
 */
async function authorisationToEnd<T>(
  tx: Db,
  partnerId: string,
  holdId: string,
  request: string,
): Promise<{ row: RedemptionRow } | { again: Outcome<T> }> {
  const row = await lockRedemptionByHold(tx, partnerId, holdId);
  if (!row) throw new AppError('not_found', 'No such authorisation for this partner.');
  if (row.finish_request !== null) {
    if (row.finish_request === request && row.finish_answer !== null)
      return { again: { answer: JSON.parse(row.finish_answer) as T, replayed: true } };
    throw new AppError('conflict', `The authorisation was already ${row.status}.`);
  }
  if (row.status !== 'authorised')
    throw new AppError('conflict', `The authorisation was already ${row.status}.`);
  return { row };
}

/** Step two: take all or part of what was authorised; the rest goes back to the member. */
export async function captureRedemption(
  deps: CounterDeps,
  partnerId: string,
  holdId: string,
  points?: number,
  key?: TillRequestKey,
): Promise<Outcome<CaptureAnswer>> {
  if (points !== undefined) checkFields([['points', points, 'points']]);
  const request = JSON.stringify({ step: 'capture', points: points ?? null });
  // Read before the transaction: a pool connection asked for while it holds one could wait for
  // ever once every connection is held so (the rules are cached, but reloaded every 15 s).
  const { rules } = await getCounterRules(deps.services.db, partnerId);
  return once(deps, 'capture', key, async (tx) => {
    const found = await authorisationToEnd<CaptureAnswer>(tx, partnerId, holdId, request);
    if ('again' in found) return found.again;
    const { row } = found;
    const captured = await deps.ledger.capture({
      partnerId,
      holdId,
      points,
      idempotencyKey: `hold:${holdId}:capture`,
      metadata: { orderId: row.order_id },
      extraPostings: deps.clearing,
      tx,
    });
    const answer: CaptureAnswer = {
      holdId,
      orderId: row.order_id,
      memberId: row.member_id,
      entryId: captured.entryId,
      points: captured.points,
      valueMinor: pointsValueMinor(captured.points, rules.burn),
      released: captured.released,
    };
    await finishRedemption(tx, row, {
      status: 'captured',
      entryId: captured.entryId,
      points: captured.points,
      request,
      answer: JSON.stringify(answer),
      at: deps.services.clock.now(),
    });
    await capturedEvent(tx, partnerId, answer, deps);
    return { answer, replayed: false };
  });
}

/** The partner is told of points taken for an order, in the transaction that takes them. */
function capturedEvent(
  tx: Db,
  partnerId: string,
  answer: Omit<CaptureAnswer, 'holdId'> & { holdId: string | null },
  deps: CounterDeps,
) {
  return recordEvent(tx, {
    type: 'redemption.captured',
    occurredAt: deps.services.clock.now(),
    audience: [partnerId],
    data: answer,
  });
}

/** Step two, the other way: nothing is taken; every held point goes back. */
export async function voidRedemption(
  deps: CounterDeps,
  partnerId: string,
  holdId: string,
  key?: TillRequestKey,
): Promise<Outcome<VoidAnswer>> {
  const request = JSON.stringify({ step: 'void' });
  return once(deps, 'void', key, async (tx) => {
    const found = await authorisationToEnd<VoidAnswer>(tx, partnerId, holdId, request);
    if ('again' in found) return found.again;
    const { row } = found;
    const voided = await deps.ledger.voidHold({
      partnerId,
      holdId,
      idempotencyKey: `hold:${holdId}:void`,
      tx,
    });
    const answer: VoidAnswer = { holdId, orderId: row.order_id, released: voided.released };
    await finishRedemption(tx, row, {
      status: 'voided',
      request,
      answer: JSON.stringify(answer),
      at: deps.services.clock.now(),
    });
    return { answer, replayed: false };
  });
}
