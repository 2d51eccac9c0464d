import type { LotTake } from '../../ledger/index.ts';
import type { ProblemType } from '../../platform/index.ts';

/**
 * A simple in-memory ledger that property tests compare the real one against. It knows only
 * the rules (oldest unexpired lots first, holds reserve, expiry moves remainders to breakage,
 * reversals negate) and none of the machinery (batches, locks, idempotency rows).
 */
export type ModelLot = {
  id: string;
  entryId: string;
  member: string;
  issuer: string;
  amount: number;
  remaining: number;
  held: number;
  issuedAtMs: number;
  expiresAtMs: number;
};

export type ModelHold = {
  id: string;
  member: string;
  partner: string;
  amount: number;
  status: 'active' | 'captured' | 'voided' | 'expired';
  expiresAtMs: number;
  lots: LotTake[];
};

export type ModelEntry = {
  id: string;
  kind: 'accrual' | 'redemption' | 'accrual_reversal' | 'redemption_reversal';
  partner: string;
  member: string;
  points: number;
  /** The lot an accrual created, or the lots a redemption took from. */
  lots: LotTake[];
  reversed: boolean;
};

export type PartnerTotals = { issued: number; redeemed: number; breakage: number };

export type LedgerModel = {
  nowMs: number;
  lots: ModelLot[];
  holds: ModelHold[];
  entries: ModelEntry[];
  partners: Map<string, PartnerTotals>;
};

/** What the model expects of one request: a rejection, or a success it then applies. */
export type Prediction =
  | { rejected: ProblemType }
  | {
      expected: Record<string, unknown>;
      /** For a hold: the points it reserves, per lot (not part of its answer). */
      reserved?: LotTake[];
      apply(actual: Record<string, unknown>): void;
    };

export function emptyModel(nowMs: number): LedgerModel {
  return { nowMs, lots: [], holds: [], entries: [], partners: new Map() };
}

function totals(model: LedgerModel, partner: string): PartnerTotals {
  let t = model.partners.get(partner);
  if (!t) {
    t = { issued: 0, redeemed: 0, breakage: 0 };
    model.partners.set(partner, t);
  }
  return t;
}

function text(actual: Record<string, unknown>, field: string): string {
  const value = actual[field];
  if (typeof value !== 'string')
    throw new Error(`answer has no ${field}: ${JSON.stringify(actual)}`);
  return value;
}

function lotById(model: LedgerModel, id: string): ModelLot {
  const lot = model.lots.find((l) => l.id === id);
  if (!lot) throw new Error(`model: unknown lot ${id}`);
  return lot;
}

/** FIFO order of the ledger: issue time, then lot id (lots of one batch share their time). */
function oldestFirst(a: { issuedAtMs: number; id: string }, b: { issuedAtMs: number; id: string }) {
  return a.issuedAtMs - b.issuedAtMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function memberTotals(model: LedgerModel, member: string) {
  const lots = model.lots.filter((l) => l.member === member);
  const balance = lots.reduce((s, l) => s + l.remaining, 0);
  const held = lots.reduce((s, l) => s + l.held, 0);
  return { balance, held, available: balance - held };
}

export function holdsOf(model: LedgerModel, member: string): ModelHold[] {
  return model.holds.filter((h) => h.member === member);
}

export function entriesOf(model: LedgerModel, member: string): ModelEntry[] {
  return model.entries.filter((e) => e.member === member);
}

export function predictAccrual(
  model: LedgerModel,
  r: { partner: string; member: string; points: number; expiresAtMs: number },
): Prediction {
  return {
    expected: { points: r.points, bookedAt: new Date(model.nowMs).toISOString() },
    apply: (actual) => {
      const lot: ModelLot = {
        id: text(actual, 'lotId'),
        entryId: text(actual, 'entryId'),
        member: r.member,
        issuer: r.partner,
        amount: r.points,
        remaining: r.points,
        held: 0,
        issuedAtMs: model.nowMs,
        expiresAtMs: r.expiresAtMs,
      };
      model.lots.push(lot);
      model.entries.push({
        id: lot.entryId,
        kind: 'accrual',
        partner: r.partner,
        member: r.member,
        points: r.points,
        lots: [{ lotId: lot.id, issuerPartnerId: r.partner, points: r.points }],
        reversed: false,
      });
      totals(model, r.partner).issued -= r.points;
    },
  };
}

/** The member's unexpired, unheld points, oldest first, until `points` are covered. */
function takeOldest(model: LedgerModel, member: string, points: number): LotTake[] | undefined {
  const lots = model.lots
    .filter((l) => l.member === member && l.expiresAtMs > model.nowMs && l.remaining > l.held)
    .sort(oldestFirst);
  return takeFrom(
    lots.map((l) => ({ lotId: l.id, issuerPartnerId: l.issuer, points: l.remaining - l.held })),
    points,
  );
}

function takeFrom(available: LotTake[], points: number): LotTake[] | undefined {
  const takes: LotTake[] = [];
  let left = points;
  for (const a of available) {
    if (left === 0) break;
    const n = Math.min(a.points, left);
    takes.push({ lotId: a.lotId, issuerPartnerId: a.issuerPartnerId, points: n });
    left -= n;
  }
  return left === 0 ? takes : undefined;
}

/** Takes points out of lots for good: a redemption or a capture. */
function spend(
  model: LedgerModel,
  r: { partner: string; member: string; takes: LotTake[]; entryId: string },
) {
  for (const t of r.takes) {
    lotById(model, t.lotId).remaining -= t.points;
    totals(model, t.issuerPartnerId).redeemed += t.points;
  }
  model.entries.push({
    id: r.entryId,
    kind: 'redemption',
    partner: r.partner,
    member: r.member,
    points: r.takes.reduce((s, t) => s + t.points, 0),
    lots: r.takes,
    reversed: false,
  });
}

export function predictRedeem(
  model: LedgerModel,
  r: { partner: string; member: string; points: number },
): Prediction {
  const takes = takeOldest(model, r.member, r.points);
  if (!takes) return { rejected: 'insufficient_points' };
  const bookedAt = new Date(model.nowMs).toISOString();
  return {
    expected: { points: r.points, lots: takes, bookedAt },
    apply: (actual) => spend(model, { ...r, takes, entryId: text(actual, 'entryId') }),
  };
}

export function predictHold(
  model: LedgerModel,
  r: { partner: string; member: string; points: number; expiresAtMs: number },
): Prediction {
  const takes = takeOldest(model, r.member, r.points);
  if (!takes) return { rejected: 'insufficient_points' };
  return {
    expected: { points: r.points, expiresAt: new Date(r.expiresAtMs).toISOString() },
    reserved: takes,
    apply: (actual) => {
      for (const t of takes) lotById(model, t.lotId).held += t.points;
      model.holds.push({
        id: text(actual, 'holdId'),
        member: r.member,
        partner: r.partner,
        amount: r.points,
        status: 'active',
        expiresAtMs: r.expiresAtMs,
        lots: takes,
      });
    },
  };
}

function release(model: LedgerModel, hold: ModelHold, status: ModelHold['status']): void {
  for (const t of hold.lots) lotById(model, t.lotId).held -= t.points;
  hold.status = status;
}

export function predictCapture(
  model: LedgerModel,
  r: { partner: string; hold: ModelHold; points: number | undefined },
): Prediction {
  const { hold } = r;
  if (hold.partner !== r.partner) return { rejected: 'not_found' };
  if (hold.status !== 'active' || hold.expiresAtMs <= model.nowMs) return { rejected: 'conflict' };
  const wanted = r.points ?? hold.amount;
  if (wanted > hold.amount) return { rejected: 'business_rule' };
  const reserved = hold.lots
    .map((t) => ({ t, lot: lotById(model, t.lotId) }))
    .sort((a, b) => oldestFirst(a.lot, b.lot))
    .map((x) => x.t);
  const takes = takeFrom(reserved, wanted);
  if (!takes) throw new Error('model: a hold reserves fewer points than its amount');
  return {
    expected: {
      points: wanted,
      lots: takes,
      holdId: hold.id,
      released: hold.amount - wanted,
      bookedAt: new Date(model.nowMs).toISOString(),
    },
    apply: (actual) => {
      release(model, hold, 'captured');
      spend(model, {
        partner: r.partner,
        member: hold.member,
        takes,
        entryId: text(actual, 'entryId'),
      });
    },
  };
}

export function predictVoid(
  model: LedgerModel,
  r: { partner: string; hold: ModelHold },
): Prediction {
  if (r.hold.partner !== r.partner) return { rejected: 'not_found' };
  if (r.hold.status !== 'active') return { rejected: 'conflict' };
  return {
    expected: { holdId: r.hold.id, released: r.hold.amount },
    apply: () => release(model, r.hold, 'voided'),
  };
}

export function predictReverse(
  model: LedgerModel,
  r: { partner: string; entry: ModelEntry },
): Prediction {
  const { entry } = r;
  if (entry.partner !== r.partner) return { rejected: 'not_found' };
  if (entry.kind !== 'accrual' && entry.kind !== 'redemption') return { rejected: 'business_rule' };
  if (entry.reversed) return { rejected: 'conflict' };
  if (entry.kind === 'accrual') {
    const lot = lotById(model, entry.lots[0]?.lotId ?? '');
    if (lot.remaining !== lot.amount || lot.held !== 0) return { rejected: 'insufficient_points' };
  }
  return {
    expected: {
      reversesEntryId: entry.id,
      points: entry.points,
      bookedAt: new Date(model.nowMs).toISOString(),
    },
    apply: (actual) => {
      const sign = entry.kind === 'accrual' ? -1 : 1;
      for (const t of entry.lots) {
        lotById(model, t.lotId).remaining += sign * t.points;
        const p = totals(model, t.issuerPartnerId);
        if (entry.kind === 'accrual') p.issued += t.points;
        else p.redeemed -= t.points;
      }
      entry.reversed = true;
      model.entries.push({
        id: text(actual, 'entryId'),
        kind: entry.kind === 'accrual' ? 'accrual_reversal' : 'redemption_reversal',
        partner: r.partner,
        member: entry.member,
        points: entry.points,
        lots: [],
        reversed: false,
      });
    },
  };
}

/** The hold sweep: active holds past their deadline release their points. Returns how many. */
export function sweepHolds(model: LedgerModel): number {
  const due = model.holds.filter((h) => h.status === 'active' && h.expiresAtMs <= model.nowMs);
  for (const h of due) release(model, h, 'expired');
  return due.length;
}

/** The lot sweep: unheld remainders of lots past expiry go to the issuer's breakage. */
export function sweepLots(model: LedgerModel): number {
  const due = model.lots.filter((l) => l.expiresAtMs <= model.nowMs && l.remaining > l.held);
  for (const l of due) {
    totals(model, l.issuer).breakage += l.remaining - l.held;
    l.remaining = l.held;
  }
  return due.length;
}
