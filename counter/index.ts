// What happens at a partner's till, one use case each, every one ONE transaction over the
// ledger, the member and the counter's own tables: the counter's public face.

import { type ActivityAnswer, reportActivity } from './activities.ts';
import { type BenefitUseAnswer, useBenefitAtCounter } from './benefits.ts';
import type { CounterDeps } from './deps.ts';
import { createEarning, type PurchaseAnswer, type PurchaseOutcome } from './earn.ts';
import { answered, keepAnswer, type Outcome, type TillRequestKey } from './once.ts';
import {
  type AuthorisationAnswer,
  authoriseRedemption,
  type CaptureAnswer,
  captureRedemption,
  type RedemptionAnswer,
  redeemForOrder,
  type VoidAnswer,
  voidRedemption,
} from './redeem.ts';
import { type RefundAnswer, refundPurchase, refundRedemption } from './refund.ts';
import { type PaidSavings, paidSavings } from './savings.ts';

export { type TillRecords, tillRecordsSince } from './audit.ts';
export type { CounterDeps } from './deps.ts';
export {
  type KnownRef,
  knownRef,
  resolveMember,
  type TillMemberView,
  tillMemberView,
} from './members.ts';
export { scorePurchase, withAllianceTiers } from './scoring.ts';
export {
  type MemberRef,
  type PurchaseInput,
  purchaseAgeMaxMs,
  purchaseAheadMaxMs,
  type RedemptionInput,
} from './validation.ts';
export type {
  ActivityAnswer,
  AuthorisationAnswer,
  BenefitUseAnswer,
  CaptureAnswer,
  Outcome,
  PaidSavings,
  PurchaseAnswer,
  PurchaseOutcome,
  RedemptionAnswer,
  RefundAnswer,
  TillRequestKey,
  VoidAnswer,
};
export { answered, keepAnswer };

type Tail<F> = F extends (deps: CounterDeps, ...rest: infer R) => infer Out
  ? (...rest: R) => Out
  : never;

/**
 * The counter of one hub process: every till use case bound to its dependencies, and the
 * group-commit writer that purchases ride. Build it once; close it at shutdown (after the
 * gateway stops taking requests), so that what is queued is written.
 */
export function createCounter(deps: CounterDeps) {
  const earning = createEarning(deps);
  const bind = <F extends (deps: CounterDeps, ...rest: never[]) => unknown>(f: F) =>
    ((...rest: never[]) => f(deps, ...rest)) as Tail<F>;
  return {
    deps,
    earn: earning.earn,
    earnMany: earning.earnMany,
    authorise: bind(authoriseRedemption),
    redeem: bind(redeemForOrder),
    capture: bind(captureRedemption),
    void: bind(voidRedemption),
    refundPurchase: bind(refundPurchase),
    refundRedemption: bind(refundRedemption),
    useBenefit: bind(useBenefitAtCounter),
    paidSavings: bind(paidSavings),
    reportActivity: bind(reportActivity),
    close: earning.close,
  };
}

export type Counter = ReturnType<typeof createCounter>;
