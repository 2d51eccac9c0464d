import { recordBenefitUse } from '../members/index.ts';
import type { CounterDeps } from './deps.ts';
import { knownRef, resolveMember } from './members.ts';
import { type Outcome, once, type TillRequestKey } from './once.ts';
import { checkFields, type MemberRef } from './validation.ts';

export type BenefitUseAnswer = {
  useId: string;
  memberId: string;
  benefitId: string;
  /** The use had been counted before (the same use id): nothing more was counted. */
  duplicate: boolean;
  usesLeft: number | null;
};

/**
 * A member uses a benefit at the partner's counter, counted once per `useKey` (the partner's
 * use id, or its Idempotency-Key), in ONE transaction with the kept answer.
 */
export async function useBenefitAtCounter(
  deps: CounterDeps,
  partnerId: string,
  input: { member: MemberRef; benefitId: string; useKey: string; savedMinor?: number },
  key?: TillRequestKey,
): Promise<Outcome<BenefitUseAnswer>> {
  checkFields([['useKey', input.useKey, 'text', 200]]);
  const ref = await knownRef(deps, partnerId, input.member);
  return once(deps, 'benefit-use', key, async (tx) => {
    const member = await resolveMember(tx, partnerId, ref);
    const result = await recordBenefitUse(
      deps.services,
      {
        memberId: member.id,
        benefitId: input.benefitId,
        usedAtPartnerId: partnerId,
        idempotencyKey: input.useKey,
        valueMinor: input.savedMinor ?? null,
      },
      { tx },
    );
    return {
      answer: {
        useId: result.useId,
        memberId: member.id,
        benefitId: input.benefitId,
        duplicate: result.duplicate,
        usesLeft: result.usesLeft,
      },
      replayed: result.duplicate,
    };
  });
}
