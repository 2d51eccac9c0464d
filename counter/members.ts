import { findMemberForPartner, type MemberProfile } from '../members/index.ts';
import { AppError, type Db } from '../platform/index.ts';
import { checkRef, type MemberRef } from './validation.ts';

/** The member a partner names: by its own customer id (linked to it) or by alliance member id. */
export async function resolveMember(
  db: Db,
  partnerId: string,
  ref: MemberRef,
): Promise<MemberProfile> {
  checkRef(ref);
  // By member id, only a member linked to the partner or sharing with partners.
  const member = await findMemberForPartner(db, partnerId, ref);
  if (!member) throw new AppError('not_found', 'No such member.');
  if (member.status !== 'active') throw new AppError('business_rule', 'The membership is closed.');
  return member;
}
