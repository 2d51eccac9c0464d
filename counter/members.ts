import {
  findMemberById,
  findMemberByPartnerCustomerId,
  type MemberProfile,
} from '../members/index.ts';
import { AppError, type Db } from '../platform/index.ts';
import { checkRef, type MemberRef } from './validation.ts';

/** The member a partner names: by its own customer id (linked to it) or by alliance member id. */
export async function resolveMember(
  db: Db,
  partnerId: string,
  ref: MemberRef,
): Promise<MemberProfile> {
  checkRef(ref);
  const member =
    'customerId' in ref
      ? await findMemberByPartnerCustomerId(db, partnerId, ref.customerId)
      : await findMemberById(db, ref.memberId);
  if (!member) throw new AppError('not_found', 'No such member.');
  if (member.status !== 'active') throw new AppError('business_rule', 'The membership is closed.');
  return member;
}
