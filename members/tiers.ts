import { sql } from 'kysely';
import {
  AppError,
  type AuditActor,
  type CacheBus,
  type Db,
  databaseCache,
  type GrowthKind,
  isAcceptableText,
  isStorableTime,
  isUuid,
  newId,
  parseRatio,
  recordAudit,
  type Tier,
  type TierChangeReason,
  textRule,
} from '../platform/index.ts';
import { recordMemberEvents } from './events.ts';
import { addToMonthSums, growthValueAt } from './growth-value.ts';
import { lockActiveMember, type MemberDeps } from './members.ts';
import {
  addMonths,
  cachedMembershipSettings,
  loadMembershipSettings,
  type MembershipSettings,
} from './settings.ts';

/**
 * Growth value and tiers. Growth value is kept apart from points: it is earned by qualifying
 * spend (and activities partners report), summed over a rolling window, and decides the tier
 * and nothing else. Upgrades happen at once; downgrades only at the member's review date.
 */

export type TierView = {
  code: string;
  name: string;
  rank: number;
  thresholdGrowth: number;
  /** Share of the price a member of this tier pays, in basis points (9500 = 95%). */
  discountBp: number;
  earnMultiplier: string;
};

export function toTierView(tier: Tier): TierView {
  return {
    code: tier.code,
    name: tier.name,
    rank: tier.rank,
    thresholdGrowth: tier.threshold_growth,
    discountBp: tier.discount_bp,
    earnMultiplier: tier.earn_multiplier,
  };
}

/** Every tier of the alliance, lowest first. */
export async function loadTiers(db: Db): Promise<TierView[]> {
  const rows = await db.selectFrom('tiers').selectAll().orderBy('rank').execute();
  if (rows[0]?.rank !== 0) throw new Error('tiers: the alliance has no entry tier (rank 0)');
  return rows.map(toTierView);
}

/**
 * The tier ladder as accruals, growth events and member views need it, from this process's
 * cache: a change made through updateTier applies here at once, any other within 15 s.
 */
export function cachedTiers(db: Db): Promise<TierView[]> {
  return tierLadder.get(db, 'ladder');
}

const tierLadder = databaseCache<TierView[]>({
  name: 'tiers',
  ttlMs: 15_000,
  max: 1,
  load: (db) => loadTiers(db),
});

/** The highest tier whose threshold the growth value reaches (at a threshold: that tier). */
export function qualifyingTier(tiers: TierView[], growthValue: number): TierView {
  let best: TierView | undefined;
  for (const tier of tiers) {
    if (growthValue >= tier.thresholdGrowth && (!best || tier.rank > best.rank)) best = tier;
  }
  if (!best) throw new Error('tiers: no tier with threshold 0');
  return best;
}

export function tierByCode(tiers: TierView[], code: string): TierView {
  const tier = tiers.find((t) => t.code === code);
  if (!tier) throw new Error(`tiers: unknown tier ${code}`);
  return tier;
}

export function nextTierAbove(tiers: TierView[], rank: number): TierView | undefined {
  return tiers.filter((t) => t.rank > rank).sort((a, b) => a.rank - b.rank)[0];
}

/** Checks an alliance's tier ladder: rank 0 at 0, thresholds strictly rising with rank. */
export function validateTierLadder(tiers: TierView[]): void {
  const sorted = [...tiers].sort((a, b) => a.rank - b.rank);
  if (sorted[0]?.rank !== 0 || sorted[0].thresholdGrowth !== 0) {
    throw new AppError('business_rule', 'The lowest tier must have rank 0 and threshold 0.');
  }
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    const tier = sorted[i];
    if (prev && tier && tier.thresholdGrowth <= prev.thresholdGrowth) {
      throw new AppError('business_rule', `Tier ${tier.code} must need more than ${prev.code}.`);
    }
  }
  for (const tier of sorted) {
    parseRatio(tier.earnMultiplier);
    if (!Number.isInteger(tier.discountBp) || tier.discountBp < 1 || tier.discountBp > 10000) {
      throw new AppError('validation_failed', `Tier ${tier.code}: discount is 1 to 10000 bp.`);
    }
  }
}

/**
 * The operator changes a tier's threshold, discount, multiplier or name: the ladder is checked
 * whole, the change audited (the tier before and after) in its transaction, and announced so
 * every hub process prices and earns by the new ladder at once. Members keep their tier until
 * they next grow (an upgrade) or are reviewed (the only way down).
 */
export async function updateTier(
  deps: { db: Db; clock: { now(): Date }; caches: CacheBus },
  code: string,
  changes: Partial<Pick<TierView, 'name' | 'thresholdGrowth' | 'discountBp' | 'earnMultiplier'>>,
  actor: AuditActor = { kind: 'system', id: 'hub' },
): Promise<TierView[]> {
  const tiers = await deps.db.transaction().execute(async (tx) => {
    await sql`LOCK TABLE tiers IN SHARE ROW EXCLUSIVE MODE`.execute(tx);
    const tiers = await loadTiers(tx);
    const current = tiers.find((t) => t.code === code);
    if (!current) throw new AppError('not_found', `No tier ${code}.`);
    const updated = { ...current, ...changes };
    validateTierLadder(tiers.map((t) => (t.code === code ? updated : t)));
    await tx
      .updateTable('tiers')
      .set({
        name: updated.name,
        threshold_growth: updated.thresholdGrowth,
        discount_bp: updated.discountBp,
        earn_multiplier: updated.earnMultiplier,
      })
      .where('code', '=', code)
      .execute();
    await recordAudit(tx, {
      actor,
      action: 'settings.tier',
      subject: code,
      before: current,
      after: updated,
      at: deps.clock.now(),
    });
    return loadTiers(tx);
  });
  await deps.caches.announce(['tiers']);
  return tiers;
}

export type GrowthEventInput = {
  memberId: string;
  /** The partner that reports it; null for the hub's own events. */
  partnerId: string | null;
  kind: GrowthKind;
  /** Fen of qualifying spend for purchases (negative for refunds); growth units otherwise. */
  amount: number;
  /** The partner's reference (order id, check-in id): the same reference applies once. */
  eventRef: string;
  occurredAt: Date;
};

export type TierChangeView = {
  fromTier: string | null;
  toTier: string;
  reason: TierChangeReason;
  growthValue: number;
  changedAt: Date;
};

export type GrowthEventResult = {
  eventId: string;
  /** The event had been recorded before; nothing changed. */
  duplicate: boolean;
  growthValue: number;
  tier: TierView;
  tierChange: TierChangeView | null;
};

/** A partner's clock may run a little ahead of the hub's; more than this is refused. */
const futureSkewMaxMs = 5 * 60_000;

function validateGrowthEvent(input: GrowthEventInput, now: Date): void {
  const fields: { field: string; reason: string }[] = [];
  if (!isAcceptableText(input.eventRef)) {
    fields.push({ field: 'eventRef', reason: textRule });
  }
  if (!isStorableTime(input.occurredAt)) {
    fields.push({ field: 'occurredAt', reason: 'not a valid time' });
  }
  if (!Number.isSafeInteger(input.amount) || input.amount === 0) {
    fields.push({ field: 'amount', reason: 'a non-zero integer' });
  } else if ((input.kind === 'refund') !== input.amount < 0) {
    fields.push({ field: 'amount', reason: 'negative for a refund, positive otherwise' });
  }
  if (input.eventRef.length < 1 || input.eventRef.length > 128) {
    fields.push({ field: 'eventRef', reason: '1 to 128 characters' });
  }
  if (input.occurredAt.getTime() > now.getTime() + futureSkewMaxMs) {
    fields.push({ field: 'occurredAt', reason: 'in the future' });
  }
  if (fields.length > 0) {
    throw new AppError('validation_failed', 'The growth event is not valid.', { fields });
  }
}

/** What a growth event is decided by: the alliance's settings and tier ladder (cached). */
export type GrowthRules = { settings: MembershipSettings; tiers: TierView[] };

/**
 * The rules, read through the pool: a caller about to open a transaction reads them first,
 * since asking the pool for a connection while holding one can wait for ever.
 */
export async function growthRules(db: Db): Promise<GrowthRules> {
  const [settings, tiers] = await Promise.all([cachedMembershipSettings(db), cachedTiers(db)]);
  return { settings, tiers };
}

/**
 * A refund's growth event, in the refund's transaction, by the rules read before it. A closed
 * membership has no growth to take back: nothing is recorded and null returned, and the refund
 * goes on.
 */
export async function recordRefundGrowth(
  deps: MemberDeps,
  input: GrowthEventInput,
  tx: Db,
  rules: GrowthRules,
): Promise<GrowthEventResult | null> {
  const member = await tx
    .selectFrom('members')
    .select('status')
    .where('id', '=', input.memberId)
    .executeTakeFirst();
  if (member?.status !== 'active') return null;
  return recordGrowthEvent(deps, input, { tx, rules });
}

/**
 * Records one growth event and upgrades the member at once if the rolling growth value now
 * reaches a higher tier. Idempotent by (partner, event reference): a repeat returns the state
 * without counting twice; the same reference with other facts is a conflict.
 */
export async function recordGrowthEvent(
  deps: MemberDeps,
  input: GrowthEventInput,
  options: { tx?: Db; rules?: GrowthRules } = {},
): Promise<GrowthEventResult> {
  const now = deps.clock.now();
  validateGrowthEvent(input, now);
  const { settings, tiers } = options.rules ?? (await growthRules(deps.db));
  const run = async (tx: Db): Promise<GrowthEventResult> => {
    // The member row is the lock that serialises tier decisions for one member.
    const member = await lockActiveMember(tx, input.memberId);
    const inserted = await tx
      .insertInto('growth_events')
      .values({
        id: newId(),
        member_id: input.memberId,
        partner_id: input.partnerId,
        kind: input.kind,
        amount: input.amount,
        event_ref: input.eventRef,
        occurred_at: input.occurredAt,
        recorded_at: now,
      })
      .onConflict((oc) => oc.columns(['partner_id', 'event_ref']).doNothing())
      .returning('id')
      .executeTakeFirst();
    const eventId = inserted?.id ?? (await sameEventOrConflict(tx, input));
    if (inserted) await addToMonthSums(tx, [input]);
    const growthValue = await growthValueAt(tx, input.memberId, now, settings.growthWindowMonths);
    const current = tierByCode(tiers, member.tier_code);
    const qualifying = qualifyingTier(tiers, growthValue);
    let tierChange: TierChangeView | null = null;
    if (inserted && qualifying.rank > current.rank) {
      tierChange = await changeTier(tx, {
        memberId: input.memberId,
        from: current.code,
        to: qualifying,
        reason: 'growth',
        growthValue,
        growthEventId: eventId,
        at: now,
        reviewAt: addMonths(now, settings.tierReviewMonths),
      });
    }
    return {
      eventId,
      duplicate: !inserted,
      growthValue,
      tier: tierChange ? qualifying : current,
      tierChange,
    };
  };
  // In a caller's transaction the event commits with what the caller does (a refund).
  return options.tx ? run(options.tx) : deps.db.transaction().execute(run);
}

async function sameEventOrConflict(db: Db, input: GrowthEventInput): Promise<string> {
  let query = db.selectFrom('growth_events').selectAll().where('event_ref', '=', input.eventRef);
  query =
    input.partnerId === null
      ? query.where('partner_id', 'is', null)
      : query.where('partner_id', '=', input.partnerId);
  const existing = await query.executeTakeFirstOrThrow();
  const same =
    existing.member_id === input.memberId &&
    existing.kind === input.kind &&
    existing.amount === input.amount &&
    existing.occurred_at.getTime() === input.occurredAt.getTime();
  if (!same) {
    throw new AppError('conflict', 'This event reference was recorded with other facts.');
  }
  return existing.id;
}

/** One step of a member's tier, as tier_changes records it. */
export type TierStep = {
  memberId: string;
  from: string;
  to: TierView;
  reason: TierChangeReason;
  growthValue: number;
  /** The growth event that caused it (an upgrade), or null (a review). */
  growthEventId: string | null;
};

/**
 * Writes tier steps: each member's row once, at its last step's tier (with a review date from
 * `reviewAt` above the entry tier), and one tier_changes row per step; two statements, however
 * many steps. A step naming a growth event is recorded only if the event exists: a caller that
 * lost a race recording the event sees it in its own count, never as a foreign-key failure.
 * The partners linked to each member are told of its new tier (member.tier_changed).
 */
export async function writeTierSteps(
  db: Db,
  steps: TierStep[],
  at: Date,
  reviewAt: Date,
): Promise<void> {
  if (steps.length === 0) return;
  const last = new Map<string, TierStep>();
  for (const step of steps) last.set(step.memberId, step);
  const finals = [...last.values()];
  await Promise.all([
    sql`
      UPDATE members m SET tier_code = t.tier_code, tier_since = ${at.toISOString()}::timestamptz,
        tier_review_at = CASE WHEN t.rank > 0 THEN ${reviewAt.toISOString()}::timestamptz END
      FROM unnest(${finals.map((u) => u.memberId)}::uuid[], ${finals.map((u) => u.to.code)}::text[],
        ${finals.map((u) => u.to.rank)}::int4[]) AS t(id, tier_code, rank)
      WHERE m.id = t.id`.execute(db),
    sql`
      INSERT INTO tier_changes (id, member_id, from_tier, to_tier, reason, growth_value, growth_event_id, changed_at)
      SELECT id, member_id, from_tier, to_tier, reason, growth_value, growth_event_id, ${at.toISOString()}::timestamptz
      FROM unnest(${steps.map(() => newId())}::uuid[], ${steps.map((u) => u.memberId)}::uuid[],
        ${steps.map((u) => u.from)}::text[], ${steps.map((u) => u.to.code)}::text[],
        ${steps.map((u) => u.reason)}::text[], ${steps.map((u) => u.growthValue)}::int8[],
        ${steps.map((u) => u.growthEventId)}::uuid[])
        AS t(id, member_id, from_tier, to_tier, reason, growth_value, growth_event_id)
      WHERE t.growth_event_id IS NULL
        OR EXISTS (SELECT 1 FROM growth_events g WHERE g.id = t.growth_event_id)`.execute(db),
    recordMemberEvents(db, tierChangeEvents(steps, finals, at)),
  ]);
}

/** One member.tier_changed per member whose tier the steps changed, from the first to the last. */
function tierChangeEvents(steps: TierStep[], finals: TierStep[], at: Date) {
  const first = new Map<string, TierStep>();
  for (const step of steps) if (!first.has(step.memberId)) first.set(step.memberId, step);
  return finals
    .map((f) => ({ final: f, from: first.get(f.memberId)?.from ?? f.from }))
    .filter(({ final, from }) => final.to.code !== from)
    .map(({ final, from }) => ({
      memberId: final.memberId,
      type: 'member.tier_changed' as const,
      data: { fromTier: from, toTier: final.to.code, reason: final.reason },
      at,
    }));
}

async function changeTier(
  db: Db,
  change: TierStep & { at: Date; reviewAt: Date },
): Promise<TierChangeView> {
  await writeTierSteps(db, [change], change.at, change.reviewAt);
  return {
    fromTier: change.from,
    toTier: change.to.code,
    reason: change.reason,
    growthValue: change.growthValue,
    changedAt: change.at,
  };
}

export type TierProgress = {
  tier: TierView;
  tierSince: Date;
  growthValue: number;
  windowMonths: number;
  /** The tier the current growth value would give if the member were reviewed now. */
  tierIfReviewedNow: TierView;
  reviewAt: Date | null;
  next: { tier: TierView; growthNeeded: number } | null;
};

/** Where a member stands: tier, growth value, and how much more the next tier needs. */
export async function tierProgress(deps: MemberDeps, memberId: string): Promise<TierProgress> {
  const now = deps.clock.now();
  const [settings, tiers, member] = await Promise.all([
    cachedMembershipSettings(deps.db),
    cachedTiers(deps.db),
    deps.db
      .selectFrom('members')
      .select(['tier_code', 'tier_since', 'tier_review_at'])
      .where('id', '=', memberId)
      .executeTakeFirst(),
  ]);
  if (!member) throw new AppError('not_found', 'No such member.');
  const growthValue = await growthValueAt(deps.db, memberId, now, settings.growthWindowMonths);
  const tier = tierByCode(tiers, member.tier_code);
  const next = nextTierAbove(tiers, tier.rank);
  return {
    tier,
    tierSince: member.tier_since,
    growthValue,
    windowMonths: settings.growthWindowMonths,
    tierIfReviewedNow: qualifyingTier(tiers, growthValue),
    reviewAt: member.tier_review_at,
    next: next
      ? { tier: next, growthNeeded: Math.max(0, next.thresholdGrowth - growthValue) }
      : null,
  };
}

export async function tierHistory(db: Db, memberId: string): Promise<TierChangeView[]> {
  const rows = await db
    .selectFrom('tier_changes')
    .selectAll()
    .where('member_id', '=', memberId)
    .orderBy('changed_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    fromTier: r.from_tier,
    toTier: r.to_tier,
    reason: r.reason,
    growthValue: r.growth_value,
    changedAt: r.changed_at,
  }));
}

export type TierReviewResult = { reviewed: number; downgraded: number; upgraded: number };

const reviewBatchSize = 200;
const reviewBatchesMax = 500;

/**
 * The review: members whose review date has come get the tier their rolling growth value
 * gives now (the only way down), and a new review date. Each member in its own short
 * transaction; SKIP LOCKED lets several workers share the work. Safe to run again at once.
 */
export async function reviewTiers(deps: MemberDeps): Promise<TierReviewResult> {
  const result: TierReviewResult = { reviewed: 0, downgraded: 0, upgraded: 0 };
  const settings = await loadMembershipSettings(deps.db);
  const tiers = await loadTiers(deps.db);
  for (let batch = 0; batch < reviewBatchesMax; batch++) {
    const now = deps.clock.now();
    const due = await deps.db
      .selectFrom('members')
      .select('id')
      .where('tier_review_at', '<=', now)
      .where('status', '=', 'active')
      .orderBy('tier_review_at')
      .limit(reviewBatchSize)
      .execute();
    if (due.length === 0) break;
    for (const { id } of due) {
      const outcome = await reviewOne(
        deps,
        id,
        tiers,
        settings.growthWindowMonths,
        settings.tierReviewMonths,
      );
      if (outcome === 'skipped') continue;
      result.reviewed++;
      if (outcome === 'down') result.downgraded++;
      if (outcome === 'up') result.upgraded++;
    }
  }
  return result;
}

async function reviewOne(
  deps: MemberDeps,
  memberId: string,
  tiers: TierView[],
  windowMonths: number,
  reviewMonths: number,
): Promise<'down' | 'up' | 'kept' | 'skipped'> {
  return deps.db.transaction().execute(async (tx) => {
    const now = deps.clock.now();
    const member = await tx
      .selectFrom('members')
      .select(['tier_code', 'tier_review_at', 'status'])
      .where('id', '=', memberId)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
    if (member?.status !== 'active' || !member.tier_review_at) return 'skipped';
    if (member.tier_review_at > now) return 'skipped';
    const growthValue = await growthValueAt(tx, memberId, now, windowMonths);
    const current = tierByCode(tiers, member.tier_code);
    const qualifying = qualifyingTier(tiers, growthValue);
    const reviewAt = addMonths(now, reviewMonths);
    if (qualifying.rank === current.rank) {
      await tx
        .updateTable('members')
        .set({ tier_review_at: reviewAt })
        .where('id', '=', memberId)
        .execute();
      return 'kept';
    }
    await changeTier(tx, {
      memberId,
      from: current.code,
      to: qualifying,
      reason: 'review',
      growthValue,
      growthEventId: null,
      at: now,
      reviewAt,
    });
    return qualifying.rank < current.rank ? 'down' : 'up';
  });
}

export type GrowthEventView = {
  id: string;
  partnerId: string | null;
  brand: string | null;
  kind: GrowthKind;
  amount: number;
  occurredAt: Date;
};

export type GrowthEventsPage = { events: GrowthEventView[]; nextCursor: string | null };

/**
 * A member's growth events, newest first, a page at a time. Pages follow (occurred_at, id), so
 * events that share a time are neither lost nor repeated; the cursor is opaque to the client
 * (the last event's id, which the query looks up: its time is compared exactly as stored).
 * `before` only keeps events that occurred before that time.
 */
export async function growthEvents(
  db: Db,
  memberId: string,
  page: { limit?: number; cursor?: string; before?: Date } = {},
): Promise<GrowthEventsPage> {
  const limit = Math.min(Math.max(page.limit ?? 20, 1), 100);
  let query = db
    .selectFrom('growth_events as g')
    .leftJoin('partners as p', 'p.id', 'g.partner_id')
    .select(['g.id', 'g.partner_id', 'p.brand', 'g.kind', 'g.amount', 'g.occurred_at'])
    .where('g.member_id', '=', memberId);
  if (page.before) query = query.where('g.occurred_at', '<', page.before);
  if (page.cursor !== undefined) {
    const lastId = decodeGrowthCursor(page.cursor);
    query = query.where(
      sql<boolean>`(g.occurred_at, g.id) < (SELECT l.occurred_at, l.id FROM growth_events l
        WHERE l.id = ${lastId}::uuid AND l.member_id = ${memberId}::uuid)`,
    );
  }
  const rows = await query
    .orderBy('g.occurred_at', 'desc')
    .orderBy('g.id', 'desc')
    .limit(limit + 1)
    .execute();
  const events = rows.slice(0, limit).map((r) => ({
    id: r.id,
    partnerId: r.partner_id,
    brand: r.brand,
    kind: r.kind,
    amount: r.amount,
    occurredAt: r.occurred_at,
  }));
  const last = events.at(-1);
  return { events, nextCursor: rows.length > limit && last ? encodeGrowthCursor(last.id) : null };
}

function encodeGrowthCursor(eventId: string): string {
  return Buffer.from(`g:${eventId}`).toString('base64url');
}

function decodeGrowthCursor(cursor: string): string {
  const id = /^g:(.+)$/.exec(Buffer.from(cursor, 'base64url').toString())?.[1];
  if (id === undefined || !isUuid(id)) {
    throw new AppError('validation_failed', 'The cursor is not valid.', {
      fields: [{ field: 'query.cursor', reason: 'not a cursor from a previous page' }],
    });
  }
  return id;
}
