import { sql } from 'kysely';
import { AppError, type Db } from '../platform/index.ts';
import { addToMonthSums, growthValuesAt } from './growth-value.ts';
import type { MembershipSettings } from './settings.ts';
import { addMonths } from './settings.ts';
import { qualifyingTier, type TierView, tierByCode, writeTierSteps } from './tiers.ts';

/**
 * What a batch of purchases needs of the members it pays: who a partner's customer ids are,
 * each member's tier, paid membership and growth value, locked for the batch's transaction so
 * that tier decisions are made one member at a time; then the growth events and the upgrades
 * the batch decided, written with multi-row statements. The counter calls these inside its
 * batch's transaction; a purchase never reads a member's year of events (growth-value.ts).
 */

export type EarningMember = {
  id: string;
  status: 'active' | 'closed';
  tierCode: string;
  /** The paid super-membership (or its trial) runs now. */
  paid: boolean;
  /** Growth value now, including what this batch added so far. */
  growthValue: number;
};

/** Members by the partners' customer ids (current links only), keyed `${partnerId} ${id}`. */
export async function membersByCustomerIds(
  db: Db,
  refs: Array<{ partnerId: string; customerId: string }>,
): Promise<Map<string, string>> {
  if (refs.length === 0) return new Map();
  const { rows } = await sql<{ partner_id: string; customer_id: string; member_id: string }>`
    SELECT l.partner_id, l.partner_customer_id AS customer_id, l.member_id FROM member_links l
    JOIN unnest(${refs.map((r) => r.partnerId)}::uuid[], ${refs.map((r) => r.customerId)}::text[])
      AS w(partner_id, customer_id)
      ON l.partner_id = w.partner_id AND l.partner_customer_id = w.customer_id
    WHERE l.unlinked_at IS NULL`.execute(db);
  return new Map(rows.map((r) => [`${r.partner_id} ${r.customer_id}`, r.member_id]));
}

/**
 * Which of the members named by id each partner may see (linked to it, or sharing with
 * partners: the rule of findMemberForPartner), keyed `${partnerId} ${memberId}`. A purchase's
 * answer tells the member's tier, so a partner earns for the members it may see only.
 */
export async function membersVisibleTo(
  db: Db,
  refs: Array<{ partnerId: string; memberId: string }>,
): Promise<Set<string>> {
  if (refs.length === 0) return new Set();
  const { rows } = await sql<{ partner_id: string; member_id: string }>`
    SELECT w.partner_id, w.member_id
    FROM unnest(${refs.map((r) => r.partnerId)}::uuid[], ${refs.map((r) => r.memberId)}::uuid[])
      AS w(partner_id, member_id)
    JOIN members m ON m.id = w.member_id
    WHERE m.consent_partner_sharing OR EXISTS (
      SELECT 1 FROM member_links l WHERE l.member_id = w.member_id AND l.partner_id = w.partner_id
        AND l.unlinked_at IS NULL)`.execute(db);
  return new Set(rows.map((r) => `${r.partner_id} ${r.member_id}`));
}

/**
 * Locks the members' rows (in id order, the order every transaction locks members in, before
 * any ledger account) and reads their state as of `now`. Unknown ids are left out.
 */
export async function lockMembersForEarning(
  tx: Db,
  memberIds: string[],
  now: Date,
  settings: Pick<MembershipSettings, 'growthWindowMonths'>,
): Promise<Map<string, EarningMember>> {
  const ids = [...new Set(memberIds)].sort();
  if (ids.length === 0) return new Map();
  await sql`SELECT id FROM members WHERE id = ANY(${ids}::uuid[]) ORDER BY id FOR UPDATE`.execute(
    tx,
  );
  // Read after the locks are held, so that a batch that waited sees what the one before wrote;
  // the two reads are sent together.
  const [{ rows }, growth] = await Promise.all([
    sql<{ id: string; status: 'active' | 'closed'; tier_code: string; paid: boolean }>`
      SELECT m.id, m.status, m.tier_code, EXISTS (
        SELECT 1 FROM paid_memberships p WHERE p.member_id = m.id AND p.status <> 'expired'
          AND p.current_term_end > ${now.toISOString()}::timestamptz) AS paid
      FROM members m WHERE m.id = ANY(${ids}::uuid[])`.execute(tx),
    growthValuesAt(tx, ids, now, settings.growthWindowMonths),
  ]);
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        status: r.status,
        tierCode: r.tier_code,
        paid: r.paid,
        growthValue: growth.get(r.id) ?? 0,
      },
    ]),
  );
}

export type PurchaseGrowth = {
  eventId: string;
  memberId: string;
  partnerId: string;
  /** The partner's reference for the purchase: the same reference counts once. */
  eventRef: string;
  amount: number;
  occurredAt: Date;
};

export type Upgrade = {
  memberId: string;
  from: string;
  to: TierView;
  growthValue: number;
  eventId: string;
};

/**
 * Adds a purchase's growth to a locked member's state, in the order the batch's purchases are
 * answered, and returns the upgrade it causes (at once, to the highest tier reached), if any.
 */
export function addPurchaseGrowth(
  member: EarningMember,
  growth: PurchaseGrowth,
  tiers: TierView[],
): Upgrade | null {
  if (!Number.isSafeInteger(growth.amount) || growth.amount <= 0)
    throw new AppError('validation_failed', 'A purchase grows by a positive amount.');
  member.growthValue += growth.amount;
  const current = tierByCode(tiers, member.tierCode);
  const qualifying = qualifyingTier(tiers, member.growthValue);
  if (qualifying.rank <= current.rank) return null;
  member.tierCode = qualifying.code;
  return {
    memberId: member.id,
    from: current.code,
    to: qualifying,
    growthValue: member.growthValue,
    eventId: growth.eventId,
  };
}

/**
 * Writes what a batch decided: its purchases' growth events, the month sums, and the upgrades
 * (each member's row once, at its last tier; one tier change per step). Returns how many events
 * were new: fewer than given means a reference was recorded already, and the batch decided on
 * a state that was not the real one (its caller must roll back and decide again).
 */
export async function writeEarnings(
  tx: Db,
  growths: PurchaseGrowth[],
  upgrades: Upgrade[],
  now: Date,
  settings: Pick<MembershipSettings, 'tierReviewMonths'>,
): Promise<number> {
  const inserted =
    growths.length === 0
      ? Promise.resolve([])
      : sql<{ id: string }>`
      INSERT INTO growth_events (id, member_id, partner_id, kind, amount, event_ref, occurred_at, recorded_at)
      SELECT id, member_id, partner_id, 'purchase', amount, event_ref, occurred_at, ${now.toISOString()}::timestamptz
      FROM unnest(${growths.map((g) => g.eventId)}::uuid[], ${growths.map((g) => g.memberId)}::uuid[],
        ${growths.map((g) => g.partnerId)}::uuid[], ${growths.map((g) => g.amount)}::int8[],
        ${growths.map((g) => g.eventRef)}::text[], ${growths.map((g) => g.occurredAt.toISOString())}::timestamptz[])
        AS t(id, member_id, partner_id, amount, event_ref, occurred_at)
      ON CONFLICT (partner_id, event_ref) DO NOTHING
      RETURNING id`
          .execute(tx)
          .then((r) => r.rows);
  // Sent with the insert (pipelined): if an event was recorded already, the caller rolls the
  // whole transaction back, month sums and upgrades with it.
  const [rows] = await Promise.all([
    inserted,
    addToMonthSums(tx, growths),
    writeTierSteps(
      tx,
      upgrades.map((u) => ({ ...u, reason: 'growth' as const, growthEventId: u.eventId })),
      now,
      addMonths(now, settings.tierReviewMonths),
    ),
  ]);
  return rows.length;
}
