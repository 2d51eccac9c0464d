import type { TierView } from '../members/index.ts';
import {
  type Accrual,
  computeAccrual,
  type EarnRule,
  type PartnerRules,
  type Purchase,
} from '../partners/index.ts';

/**
 * The earn rule a purchase is scored by: the alliance's tier multipliers apply unless the
 * partner's rule sets its own for a tier.
 */
export function withAllianceTiers(earn: EarnRule, tiers: TierView[]): EarnRule {
  const allianceTiers = Object.fromEntries(tiers.map((t) => [t.code, t.earnMultiplier]));
  return { ...earn, tierMultipliers: { ...allianceTiers, ...earn.tierMultipliers } };
}

/**
 * What a purchase earns: the partner's rule with the alliance's tiers, for a member of this
 * tier and paid status, on the local day of the purchase. The counter books it; the operator's
 * preview shows it; both score the same way.
 */
export function scorePurchase(
  rules: PartnerRules,
  tiers: TierView[],
  purchase: Purchase & { at: Date },
  member: { tier: string | null; paidMember: boolean; benefit?: { name: string; value: string } },
): Accrual {
  return computeAccrual(withAllianceTiers(rules.earn, tiers), purchase, member, {
    instant: purchase.at,
    timeZone: rules.timeZone,
  });
}
