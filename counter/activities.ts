import { type ActivityResult, growthRules, recordActivity } from '../members/index.ts';
import type { ActivityKind } from '../platform/index.ts';
import type { CounterDeps } from './deps.ts';
import { knownRef, resolveMember } from './members.ts';
import { type Outcome, once, type TillRequestKey } from './once.ts';
import { checkFields, checkRecentTime, type MemberRef } from './validation.ts';

export type ActivityAnswer = Omit<ActivityResult, 'tier'> & { tier: string };

/**
 * A partner reports a member's check-in, review or login: growth by the alliance's rules, in
 * ONE transaction with the answer kept under the Idempotency-Key; the activity id makes any
 * retry count once.
 */
export async function reportActivity(
  deps: CounterDeps,
  partnerId: string,
  input: { member: MemberRef; kind: ActivityKind; activityId: string; occurredAt: Date },
  key?: TillRequestKey,
): Promise<Outcome<ActivityAnswer>> {
  checkFields([['activityId', input.activityId, 'text', 100]]);
  checkRecentTime('occurredAt', input.occurredAt, deps.services.clock.now());
  const ref = await knownRef(deps, partnerId, input.member);
  const rules = await growthRules(deps.services.db);
  return once(deps, 'activity', key, async (tx) => {
    const member = await resolveMember(tx, partnerId, ref);
    const result = await recordActivity(
      deps.services,
      tx,
      {
        memberId: member.id,
        partnerId,
        kind: input.kind,
        activityId: input.activityId,
        occurredAt: input.occurredAt,
      },
      rules,
    );
    return { answer: { ...result, tier: result.tier.code }, replayed: result.duplicate };
  });
}
