import {
  type GroupCommitWriter,
  type PlannedAccrual,
  planAccrual,
  type Settled,
} from '../ledger/index.ts';
import {
  addPurchaseGrowth,
  cachedEarnBenefits,
  cachedMembershipSettings,
  cachedTiers,
  type EarnBenefit,
  type EarningMember,
  earnBenefitsAt,
  earnBenefitUses,
  lockMembersForEarning,
  membersByCustomerIds,
  membersVisibleTo,
  type PurchaseGrowth,
  recordEarnBenefitUses,
  type Upgrade,
  writeEarnings,
} from '../members/index.ts';
import {
  type CounterRules,
  getCounterRules,
  getPartnerStore,
  KeptAnswer,
  type KeptState,
  keepAnswers,
  keptStates,
  keyedName,
  keyReused,
  type Multiplier,
  type StoredResponse,
} from '../partners/index.ts';
import { AppError, type Db, killPoint, newId } from '../platform/index.ts';
import type { CounterDeps } from './deps.ts';
import { type Headroom, lockHeadroom, takeHeadroom } from './liability-limit.ts';
import { knownRef } from './members.ts';
import { answered, type Outcome, type TillRequestKey } from './once.ts';
import { scorePurchase } from './scoring.ts';
import {
  factsDigest,
  insertPurchases,
  type NewPurchase,
  orderKey,
  purchasesForOrders,
} from './store.ts';
import { checkPurchase, type PurchaseInput } from './validation.ts';

/** What a till is told for a purchase, and told again for every retry of it. */
export type PurchaseAnswer = {
  orderId: string;
  memberId: string;
  points: number;
  entryId: string | null;
  /** The rule that gave the points, in words. */
  rule: string;
  multipliers: Multiplier[];
  capped: boolean;
  /** The member's benefits that changed what this purchase earned (absent: none did). */
  benefits?: AppliedBenefit[];
  /** The member's tier after this purchase. */
  tier: string;
  /** Set when this purchase lifted the member's tier (at once, to the tier reached). */
  tierChange: { from: string; to: string } | null;
};

export type PurchaseOutcome = Outcome<PurchaseAnswer>;

export type AppliedBenefit = {
  benefitId: string;
  code: string;
  title: string;
  kind: 'earn_multiplier';
  multiplier: string;
};

/** A purchase on its way into a batch: checked, its store and rules found beforehand. */
type EarnItem = {
  partnerId: string;
  purchase: PurchaseInput;
  storeId: string;
  rules: CounterRules;
  /** Digest of the purchase's facts: the same order with other facts is refused. */
  purchaseHash: string;
  /** The member whose code was scanned at the till (their consent to be seen here). */
  presentedMemberId?: string;
  /** A single purchase's own Idempotency-Key; a batch request keeps its answer itself. */
  key?: TillRequestKey;
};

/**
 * The digest of what a till said about a purchase (not what the hub computed from it). A
 * scanned member code counts as the member it named: a retry shows a fresh code.
 */
export function purchaseHash(input: PurchaseInput, presentedMemberId?: string): string {
  const { member } = input;
  const facts = {
    orderId: input.orderId,
    storeCode: input.storeCode,
    amountMinor: input.amountMinor,
    lines: input.lines ?? [],
    purchasedAt: input.purchasedAt.toISOString(),
    member:
      'customerId' in member
        ? { customerId: member.customerId }
        : { memberId: 'memberId' in member ? member.memberId : presentedMemberId },
  };
  return factsDigest(facts);
}

/** A batch found its state changed under it (a duplicate committed meanwhile): run it again. */
class BatchRaced extends Error {
  readonly code = '40001';
}

export type Earning = {
  /** One purchase; refusals are thrown (AppError, or KeptAnswer for a kept refusal). */
  earn(partnerId: string, input: PurchaseInput, key?: TillRequestKey): Promise<PurchaseOutcome>;
  /** Many purchases of one partner, each with its own outcome, in the order given. */
  earnMany(partnerId: string, inputs: PurchaseInput[]): Promise<Settled<PurchaseOutcome>[]>;
  close(): Promise<void>;
};

/**
 * Purchases ride the ledger's group commit: each batch is ONE transaction in which the members
 * are locked and read, every purchase scored in order, and the ledger's accruals, the growth
 * events and upgrades, the purchase rows and the single purchases' kept answers are written
 * with multi-row statements. Nothing is answered before the commit.
 */
export function createEarning(deps: CounterDeps): Earning {
  const writer: GroupCommitWriter<EarnItem, PurchaseOutcome> = deps.ledger.groupCommit(
    (items: EarnItem[], shard: number) => writeEarnBatch(deps, items, shard),
    { name: 'purchases' },
  );
  const prepare = async (
    partnerId: string,
    purchase: PurchaseInput,
    key?: TillRequestKey,
  ): Promise<EarnItem> => {
    checkPurchase(purchase, deps.services.clock.now());
    const { db } = deps.services;
    const [store, rules, ref] = await Promise.all([
      getPartnerStore(db, partnerId, { code: purchase.storeCode }),
      getCounterRules(db, partnerId),
      knownRef(deps, partnerId, purchase.member),
    ]);
    const presentedMemberId = 'presented' in ref ? ref.memberId : undefined;
    return {
      partnerId,
      purchase,
      storeId: store.id,
      rules,
      purchaseHash: purchaseHash(purchase, presentedMemberId),
      presentedMemberId,
      key,
    };
  };
  return {
    earn: async (partnerId, input, key) => writer.submit(await prepare(partnerId, input, key)),
    earnMany: async (partnerId, inputs) =>
      Promise.all(
        inputs.map((input) =>
          prepare(partnerId, input)
            .then((item) => writer.submit(item))
            .then(
              (value): Settled<PurchaseOutcome> => ({ value }),
              (error: unknown): Settled<PurchaseOutcome> => ({ error }),
            ),
        ),
      ),
    close: () => writer.close(),
  };
}

/** How one purchase of a batch came out, before anything is written. */
type Decision =
  | { kind: 'fresh'; answer: PurchaseAnswer }
  | { kind: 'replayed'; answer: PurchaseAnswer }
  | { kind: 'refused'; error: AppError }
  /** Its key was answered before: the kept answer is sent as it was. */
  | { kind: 'kept'; response: StoredResponse }
  /** The same request twice in one batch: the second gets the first's outcome. */
  | { kind: 'same-as'; index: number };

async function writeEarnBatch(
  deps: CounterDeps,
  items: EarnItem[],
  shard: number,
): Promise<Settled<PurchaseOutcome>[]> {
  const { db, clock, config } = deps.services;
  const [settings, tiers, catalog] = await Promise.all([
    cachedMembershipSettings(db),
    cachedTiers(db),
    cachedEarnBenefits(db),
  ]);
  // Statements that do not depend on each other are sent together (postgres.js pipelines them
  // on the transaction's connection): a batch costs a few round trips, not one per statement.
  const decisions = await db.transaction().execute(async (tx) => {
    const now = clock.now();
    // First, before any row lock: capped issuers' batches take turns (liability-limit.ts).
    const headroom = await lockHeadroom(tx, items);
    const [byCustomer, visible] = await Promise.all([
      membersByCustomerIds(
        tx,
        items.flatMap((i) =>
          'customerId' in i.purchase.member
            ? [{ partnerId: i.partnerId, customerId: i.purchase.member.customerId }]
            : [],
        ),
      ),
      membersVisibleTo(
        tx,
        items.flatMap((i) =>
          'memberId' in i.purchase.member
            ? [{ partnerId: i.partnerId, memberId: i.purchase.member.memberId }]
            : [],
        ),
      ),
    ]);
    const memberIdOf = (i: EarnItem) => {
      if (i.presentedMemberId !== undefined) return i.presentedMemberId;
      if ('customerId' in i.purchase.member)
        return byCustomer.get(`${i.partnerId} ${i.purchase.member.customerId}`);
      if (!('memberId' in i.purchase.member)) return undefined;
      const { memberId } = i.purchase.member;
      // A member the partner may not see is answered as one that does not exist.
      return visible.has(`${i.partnerId} ${memberId}`) ? memberId : undefined;
    };
    // Read once the members are locked: a batch that waited sees what the one before wrote.
    const [members, kept, booked] = await Promise.all([
      lockMembersForEarning(
        tx,
        items.flatMap((i) => memberIdOf(i) ?? []),
        now,
        settings,
      ),
      keptStates(
        tx,
        items.flatMap((i) => (i.key ? [i.key] : [])),
      ),
      purchasesForOrders(
        tx,
        items.map((i) => ({ partnerId: i.partnerId, orderId: i.purchase.orderId })),
      ),
    ]);
    const benefitsOf = (i: EarnItem, m: EarningMember) =>
      earnBenefitsAt(catalog, { partnerId: i.partnerId, tierCode: m.tierCode, paid: m.paid, now });
    // Uses this period of every limited benefit a purchase here might apply, whatever the
    // member's tier now: a purchase earlier in the batch may lift the member into one. With no
    // limited earn benefit on offer (the usual case) this sends nothing.
    const limited = catalog.filter((b) => b.usageLimit !== null);
    const used = await earnBenefitUses(
      tx,
      limited.length === 0
        ? []
        : items.flatMap((i) => {
            const memberId = memberIdOf(i);
            return memberId === undefined
              ? []
              : limited
                  .filter((b) => b.partnerId === null || b.partnerId === i.partnerId)
                  .map((benefit) => ({ benefit, memberId }));
          }),
      now,
    );
    const plan = decide(items, {
      memberIdOf,
      members,
      kept,
      booked,
      tiers,
      now,
      benefitsOf,
      used,
      headroom,
    });
    await write(deps, tx, items, plan, shard, now, settings);
    killPoint(config, 'earn:before-commit');
    return plan.decisions;
  });
  killPoint(config, 'earn:after-commit');
  return decisions.map((d, i) => settle(decisions, d, items[i]));
}

type Plan = {
  decisions: Decision[];
  accruals: PlannedAccrual[];
  growths: PurchaseGrowth[];
  upgrades: Upgrade[];
  purchases: NewPurchase[];
  benefitUses: Array<{
    id: string;
    benefit: EarnBenefit;
    memberId: string;
    partnerId: string;
    key: string;
  }>;
};

/** Every purchase of the batch in order, as if they came one after another. */
function decide(
  items: EarnItem[],
  state: {
    memberIdOf(i: EarnItem): string | undefined;
    members: Map<string, EarningMember>;
    kept: Map<string, KeptState>;
    booked: Map<string, { request_hash: string | null; answer: string | null; member_id: string }>;
    tiers: Awaited<ReturnType<typeof cachedTiers>>;
    now: Date;
    headroom: Headroom;
    /** The earn multipliers the member may use at the item's partner now. */
    benefitsOf(item: EarnItem, member: EarningMember): EarnBenefit[];
    /** Uses this period of limited ones, keyed `${benefitId} ${memberId}`; counted on here. */
    used: Map<string, number>;
  },
): Plan {
  const plan: Plan = {
    decisions: [],
    accruals: [],
    growths: [],
    upgrades: [],
    purchases: [],
    benefitUses: [],
  };
  const firstWithKey = new Map<string, number>();
  const firstWithOrder = new Map<string, number>();
  items.forEach((item, index) => {
    plan.decisions.push(decideOne(item, index));
  });
  return plan;

  function decideOne(item: EarnItem, index: number): Decision {
    if (item.key) {
      const name = keyedName(item.key);
      const earlier = firstWithKey.get(name);
      if (earlier !== undefined)
        return items[earlier]?.key?.requestHash === item.key.requestHash
          ? { kind: 'same-as', index: earlier }
          : { kind: 'refused', error: keyReused() };
      firstWithKey.set(name, index);
      const kept = state.kept.get(name);
      if (kept?.kind === 'answer') return { kind: 'kept', response: kept.response };
      if (kept?.kind === 'reused') return { kind: 'refused', error: keyReused() };
      if (kept?.kind === 'in_progress')
        return {
          kind: 'refused',
          error: new AppError('idempotency_in_progress', undefined, { retryAfterSeconds: 1 }),
        };
    }
    const order = orderKey(item.partnerId, item.purchase.orderId);
    const booked = state.booked.get(order);
    if (booked) return bookedBefore(item, booked);
    // The same order earlier in this batch (only fresh purchases are remembered here).
    const sameOrder = firstWithOrder.get(order);
    const first = sameOrder === undefined ? undefined : plan.decisions[sameOrder];
    if (sameOrder !== undefined && first?.kind === 'fresh') {
      if (items[sameOrder]?.purchaseHash !== item.purchaseHash) return orderReused(item);
      return { kind: 'replayed', answer: first.answer };
    }
    const memberId = state.memberIdOf(item);
    const member = memberId === undefined ? undefined : state.members.get(memberId);
    if (!member) return { kind: 'refused', error: new AppError('not_found', 'No such member.') };
    if (member.status !== 'active')
      return { kind: 'refused', error: new AppError('business_rule', 'The membership is closed.') };
    firstWithOrder.set(order, index);
    return fresh(item, member);
  }

  /** The best earn multiplier with uses left (they do not stack), its use counted. */
  function bestBenefit(item: EarnItem, member: EarningMember): EarnBenefit | undefined {
    const usable = state.benefitsOf(item, member).filter((b) => {
      const limit = b.usageLimit?.count;
      return limit === undefined || (state.used.get(`${b.id} ${member.id}`) ?? 0) < limit;
    });
    const best = usable.sort((a, b) => Number(b.multiplier) - Number(a.multiplier))[0];
    if (best?.usageLimit) {
      const k = `${best.id} ${member.id}`;
      state.used.set(k, (state.used.get(k) ?? 0) + 1);
    }
    return best;
  }

  function fresh(item: EarnItem, member: EarningMember): Decision {
    const { purchase, partnerId } = item;
    const tierBefore = member.tierCode;
    const benefit = bestBenefit(item, member);
    const score = (paidMember: boolean, held: EarnBenefit | undefined) =>
      scorePurchase(
        item.rules.rules,
        state.tiers,
        { amountMinor: purchase.amountMinor, lines: purchase.lines, at: purchase.purchasedAt },
        {
          tier: tierBefore,
          paidMember,
          benefit: held && { name: held.code, value: held.multiplier },
        },
      );
    const accrual = score(member.paid, benefit);
    // What the paid membership added ("saved so far"): the points without it and its benefits.
    const paidExtraPoints = member.paid
      ? Math.max(0, accrual.points - score(false, benefit?.paidOnly ? undefined : benefit).points)
      : 0;
    const overCap = takeHeadroom(state.headroom, partnerId, accrual.points);
    if (overCap) {
      // Refused whole: the use bestBenefit counted for it is given back.
      if (benefit?.usageLimit) {
        const k = `${benefit.id} ${member.id}`;
        state.used.set(k, (state.used.get(k) ?? 1) - 1);
      }
      return { kind: 'refused', error: overCap };
    }
    if (benefit) {
      plan.benefitUses.push({
        id: newId(),
        benefit,
        memberId: member.id,
        partnerId,
        key: `purchase:${partnerId}:${purchase.orderId}`,
      });
    }
    const growth: PurchaseGrowth = {
      eventId: newId(),
      memberId: member.id,
      partnerId,
      eventRef: `purchase:${purchase.orderId}`,
      amount: purchase.amountMinor,
      occurredAt: purchase.purchasedAt,
    };
    const upgrade = addPurchaseGrowth(member, growth, state.tiers);
    plan.growths.push(growth);
    if (upgrade) plan.upgrades.push(upgrade);
    const planned =
      accrual.points > 0
        ? planAccrual({
            partnerId,
            memberId: member.id,
            points: accrual.points,
            idempotencyKey: `purchase:${purchase.orderId}`,
            // From the purchase, not from when the hub heard of it.
            expiresAt: new Date(purchase.purchasedAt.getTime() + item.rules.policy.lifetimeMs),
            metadata: {
              orderId: purchase.orderId,
              storeCode: purchase.storeCode,
              amountMinor: purchase.amountMinor,
            },
          })
        : undefined;
    if (planned) plan.accruals.push(planned);
    const answer: PurchaseAnswer = {
      orderId: purchase.orderId,
      memberId: member.id,
      points: accrual.points,
      entryId: planned?.entryId ?? null,
      rule: accrual.explanation,
      multipliers: accrual.multipliers,
      capped: accrual.capped,
      ...(benefit
        ? {
            benefits: [
              {
                benefitId: benefit.id,
                code: benefit.code,
                title: benefit.title,
                kind: 'earn_multiplier' as const,
                multiplier: benefit.multiplier,
              },
            ],
          }
        : {}),
      tier: member.tierCode,
      tierChange: upgrade ? { from: tierBefore, to: upgrade.to.code } : null,
    };
    plan.purchases.push({
      partnerId,
      orderId: purchase.orderId,
      memberId: member.id,
      storeId: item.storeId,
      amountMinor: purchase.amountMinor,
      points: accrual.points,
      paidExtraPoints,
      entryId: answer.entryId,
      purchasedAt: purchase.purchasedAt,
      requestHash: item.purchaseHash,
      answer: JSON.stringify(answer),
    });
    return { kind: 'fresh', answer };
  }
}

/** An order booked in an earlier request: its first answer, if this is the same purchase. */
function bookedBefore(
  item: EarnItem,
  booked: { request_hash: string | null; answer: string | null; member_id: string },
): Decision {
  if (booked.request_hash !== null && booked.request_hash !== item.purchaseHash)
    return orderReused(item);
  if (booked.answer === null)
    return {
      kind: 'refused',
      error: new AppError('conflict', 'This order was booked before answers were kept.'),
    };
  return { kind: 'replayed', answer: JSON.parse(booked.answer) as PurchaseAnswer };
}

function orderReused(item: EarnItem): Decision {
  return {
    kind: 'refused',
    error: new AppError(
      'order_reused',
      `Order ${item.purchase.orderId} was already reported with other details.`,
    ),
  };
}

/** Everything the batch decided, in its transaction; a race found here runs the batch again. */
async function write(
  deps: CounterDeps,
  tx: Db,
  items: EarnItem[],
  plan: Plan,
  shard: number,
  now: Date,
  settings: Awaited<ReturnType<typeof cachedMembershipSettings>>,
): Promise<void> {
  const answers = items.flatMap((item, i) => {
    const d = plan.decisions[i];
    if (!item.key || d === undefined) return [];
    if (d.kind === 'fresh' || d.kind === 'replayed')
      return [{ ...item.key, response: answered(d.answer) }];
    if (d.kind === 'refused' && keptRefusal(d.error))
      return [{ ...item.key, response: item.key.refusal(d.error) }];
    return [];
  });
  // Sent together; a failing statement fails the ones after it, and the first to fail (the
  // one at fault, answered first) is what the batch reports.
  const [claimed, recorded, purchased, kept] = await Promise.all([
    deps.ledger.appendAccruals(tx, plan.accruals, shard, now),
    writeEarnings(tx, plan.growths, plan.upgrades, now, settings),
    insertPurchases(tx, plan.purchases),
    keepAnswers(tx, answers, now),
    recordEarnBenefitUses(tx, plan.benefitUses, now),
  ]);
  const raced =
    claimed.size !== plan.accruals.length ||
    recorded !== plan.growths.length ||
    purchased !== plan.purchases.length ||
    kept !== answers.length;
  if (raced) throw new BatchRaced();
}

function keptRefusal(error: AppError): boolean {
  return error.type !== 'idempotency_key_reused' && error.type !== 'idempotency_in_progress';
}

function settle(
  decisions: Decision[],
  decision: Decision,
  item: EarnItem | undefined,
): Settled<PurchaseOutcome> {
  switch (decision.kind) {
    case 'fresh':
      return { value: { answer: decision.answer, replayed: false } };
    case 'replayed':
      return { value: { answer: decision.answer, replayed: true } };
    case 'refused':
      return { error: decision.error };
    case 'kept':
      return { error: new KeptAnswer(decision.response) };
    case 'same-as': {
      const first = decisions[decision.index];
      if (first === undefined || first.kind === 'same-as')
        return { error: new Error(`earn: no first decision for ${item?.purchase.orderId}`) };
      const settled = settle(decisions, first, item);
      return 'value' in settled ? { value: { ...settled.value, replayed: true } } : settled;
    }
  }
}
