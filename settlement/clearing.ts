import {
  type AccountKey,
  type ExpiryPostings,
  type ExtraPostings,
  hubOwnerId,
  type LotTake,
} from '../ledger/index.ts';
import { multiplyHalfEven } from '../platform/index.ts';
import type { SettlementSettings } from './settings.ts';

/**
 * Currency accounts of clearing. A partner's clearing account holds what other partners owe it
 * (credit) or it owes them (debit) for points spent; its fees account what it owes the hub.
 * The hub's accounts collect clearing fees and its share of breakage.
 */
export const clearingKinds = {
  partnerClearing: 'partner_clearing',
  partnerFees: 'partner_fees',
  hubFees: 'hub_clearing_fees',
  hubBreakage: 'hub_breakage',
} as const;

function partnerKey(partnerId: string, kind: string, asset: string): AccountKey {
  return { ownerType: 'partner', ownerId: partnerId, kind, asset };
}

function hubKey(kind: string, asset: string): AccountKey {
  return { ownerType: 'hub', ownerId: hubOwnerId, kind, asset };
}

export type Obligation = { issuerPartnerId: string; valueMinor: number; feeMinor: number };

/**
 * The obligations of one redemption, per issuer. Rounding rule: each consumed lot is one
 * obligation; its value is points x point value and its fee is value x fee rate, each rounded
 * half to even in exact integers of minor units, then summed per issuer. Own points (issuer =
 * acceptor) carry no value between partners, only the fee unless the alliance waives it.
 */
export function obligationsOf(
  settings: SettlementSettings,
  takes: LotTake[],
  acceptorPartnerId: string,
): Obligation[] {
  const byIssuer = new Map<string, Obligation>();
  for (const t of takes) {
    const own = t.issuerPartnerId === acceptorPartnerId;
    const value = multiplyHalfEven(t.points, settings.pointValue);
    const fee = own && !settings.feeOnOwnPoints ? 0 : multiplyHalfEven(value, settings.feeRate);
    const o = byIssuer.get(t.issuerPartnerId) ?? {
      issuerPartnerId: t.issuerPartnerId,
      valueMinor: 0,
      feeMinor: 0,
    };
    o.valueMinor += own ? 0 : value;
    o.feeMinor += fee;
    byIssuer.set(t.issuerPartnerId, o);
  }
  return [...byIssuer.values()];
}

/**
 * The ledger hook for redemptions and captures: the obligations as currency postings in the
 * same entry, so points and money can never disagree. Per issuer I and acceptor R: I's clearing
 * -value, R's clearing +value, I's fees -fee, the hub's fees +fee. Zero amounts are left out.
 */
export function clearingPostings(settings: SettlementSettings): ExtraPostings {
  const asset = settings.currency;
  return (takes, acceptorPartnerId) =>
    obligationsOf(settings, takes, acceptorPartnerId).flatMap((o) => {
      const postings: Array<{ key: AccountKey; amount: number }> = [];
      if (o.valueMinor !== 0) {
        postings.push(
          {
            key: partnerKey(o.issuerPartnerId, clearingKinds.partnerClearing, asset),
            amount: -o.valueMinor,
          },
          {
            key: partnerKey(acceptorPartnerId, clearingKinds.partnerClearing, asset),
            amount: o.valueMinor,
          },
        );
      }
      if (o.feeMinor !== 0) {
        postings.push(
          {
            key: partnerKey(o.issuerPartnerId, clearingKinds.partnerFees, asset),
            amount: -o.feeMinor,
          },
          { key: hubKey(clearingKinds.hubFees, asset), amount: o.feeMinor },
        );
      }
      return postings;
    });
}

/**
 * The ledger hook for expiry: the hub's share of breakage, which the issuer owes it, in the
 * expiry entry itself. Rounding: the lot's value (points x point value), then the share of it,
 * each half to even. With the default share of 0 nothing is posted; the expired points still
 * appear on the issuer's statement as breakage.
 */
export function breakagePostings(settings: SettlementSettings): ExpiryPostings {
  const asset = settings.currency;
  return (lot) => {
    const value = multiplyHalfEven(lot.points, settings.pointValue);
    const share = multiplyHalfEven(value, settings.breakageShare);
    if (share === 0) return [];
    return [
      { key: partnerKey(lot.issuerPartnerId, clearingKinds.partnerFees, asset), amount: -share },
      { key: hubKey(clearingKinds.hubBreakage, asset), amount: share },
    ];
  };
}
