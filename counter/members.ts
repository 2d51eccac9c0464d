import {
  type AvailableBenefit,
  availableBenefitsAt,
  cachedTiers,
  findMemberById,
  findMemberForPartner,
  type MemberProfile,
  memberLinks,
  type PaidStatusView,
  paidStatus,
  readPayCode,
  segmentsVisibleToPartner,
} from '../members/index.ts';
import { AppError, type Db } from '../platform/index.ts';
import type { CounterDeps } from './deps.ts';
import { checkRef, type MemberRef } from './validation.ts';

/** A member reference with a scanned member code turned into the member it names. */
export type KnownRef =
  | Exclude<MemberRef, { memberCode: string }>
  | { memberId: string; presented: true };

/**
 * Reads a scanned member code (the member's live pay code) without using it up: the member it
 * names, marked as presented (showing the code is the member's consent to be seen here). A
 * code that names nobody is refused like a bad pay code, and counts against the partner's
 * guesses.
 */
export async function knownRef(
  deps: CounterDeps,
  partnerId: string,
  ref: MemberRef,
): Promise<KnownRef> {
  checkRef(ref);
  if (!('memberCode' in ref)) return ref;
  const code = await readPayCode(deps.services, ref.memberCode, partnerId);
  if (!code) {
    throw new AppError('pay_code_invalid', 'The member code is not valid: ask for a fresh one.', {
      fields: [{ field: 'member.memberCode', reason: 'unknown or expired' }],
    });
  }
  return { memberId: code.memberId, presented: true };
}

/** The member a partner names: by its own customer id (linked to it) or by alliance member id. */
export async function resolveMember(
  db: Db,
  partnerId: string,
  ref: KnownRef,
): Promise<MemberProfile> {
  // By member id, only a member linked to the partner or sharing with partners, unless the
  // member presented their code at this till.
  if (!('presented' in ref)) checkRef(ref);
  const member =
    'presented' in ref
      ? await findMemberById(db, ref.memberId)
      : await findMemberForPartner(db, partnerId, ref);
  if (!member) throw new AppError('not_found', 'No such member.');
  if (member.status !== 'active') throw new AppError('business_rule', 'The membership is closed.');
  return member;
}

/** A member as a till sees them: enough to price, earn and redeem in one look. */
export type TillMemberView = {
  memberId: string;
  status: 'active' | 'closed';
  /** Your customer id for this member, when linked. */
  customerId: string | null;
  tier: { code: string; name: string; discountBp: number; earnMultiplier: string };
  paid: Pick<PaidStatusView, 'paid' | 'status' | 'trial' | 'paidThrough'> & {
    plan: string | null;
  };
  points: { available: number; held: number };
  /** Benefits the member may use at this partner now (yours and the hub's), with uses left. */
  benefits: AvailableBenefit[];
  /** The member's segments, only when the member shares with partners. */
  segments: string[] | null;
};

/** One look at a member for the till: tier and discount, paid status, points and benefits. */
export async function tillMemberView(
  deps: CounterDeps,
  partnerId: string,
  member: MemberProfile,
): Promise<TillMemberView> {
  const { services, ledger } = deps;
  const [links, tiers, paid, points, benefits, segments] = await Promise.all([
    memberLinks(services.db, member.id, partnerId),
    cachedTiers(services.db),
    paidStatus(services, member.id),
    ledger.memberPoints(member.id),
    availableBenefitsAt(services, member.id, partnerId),
    segmentsVisibleToPartner(services.db, member.id),
  ]);
  const tier = tiers.find((t) => t.code === member.tierCode);
  return {
    memberId: member.id,
    status: member.status,
    customerId: links[0]?.partnerCustomerId ?? null,
    tier: {
      code: member.tierCode,
      name: tier?.name ?? member.tierCode,
      discountBp: tier?.discountBp ?? 10_000,
      earnMultiplier: tier?.earnMultiplier ?? '1',
    },
    paid: {
      paid: paid.paid,
      status: paid.status,
      trial: paid.trial,
      paidThrough: paid.paidThrough,
      plan: paid.plan?.code ?? null,
    },
    points: { available: points.available, held: points.held },
    benefits,
    segments,
  };
}
