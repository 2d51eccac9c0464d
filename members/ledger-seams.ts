import { hubOwnerId, type Ledger } from '../ledger/index.ts';
import { AppError } from '../platform/index.ts';
import type { ForfeitPoints } from './members.ts';
import type { RecordMembershipFee } from './paid.ts';

/**
 * A paid membership's fee in the ledger, in the plan's currency, in the same transaction as the
 * term it pays for: the money came in through the hub's payment collection (an account that
 * goes negative as money enters) and is the hub's membership revenue.
 */
export function membershipFeeRecorder(ledger: Ledger): RecordMembershipFee {
  return async (fee) => {
    if (fee.feeMinor === 0) return;
    const account = (kind: string) => ({
      ownerType: 'hub' as const,
      ownerId: hubOwnerId,
      kind,
      asset: fee.currency,
    });
    await ledger.post({
      ownerId: hubOwnerId,
      idempotencyKey: fee.idempotencyKey,
      kind: 'membership_fee',
      memberId: fee.memberId,
      postings: [
        { key: account('hub_member_payments'), amount: -fee.feeMinor },
        { key: account('hub_membership_revenue'), amount: fee.feeMinor },
      ],
      metadata: { planId: fee.planId, planCode: fee.planCode, termId: fee.termId },
      tx: fee.tx,
    });
  };
}

/**
 * Closing a membership under the 'forfeit' policy ends every remaining point as breakage;
 * `forfeited` hears how many (0 for a retry the ledger had answered before).
 */
export function pointsForfeiter(
  ledger: Ledger,
  forfeited: (points: number) => void = () => {},
): ForfeitPoints {
  return async ({ tx, memberId, policy, idempotencyKey }) => {
    if (policy === 'pay_out') {
      throw new AppError(
        'business_rule',
        'Paying points out on closing is not offered yet; the alliance policy must be forfeit.',
      );
    }
    const out = await ledger.forfeitAll({
      memberId,
      idempotencyKey,
      reason: 'membership closed',
      tx,
    });
    forfeited(out.replayed ? 0 : out.points);
  };
}
