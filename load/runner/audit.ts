/**
 * After a run: what the partner's tills were told against what the ledger holds. Every
 * acknowledged accrual, redemption and refund is in the ledger exactly once with the points
 * it was answered; nothing refused is; no order has two entries of a kind; no entry of the
 * partner's orders is missing from the till's records; and every ledger invariant holds.
 */
import { type TillRecords, tillRecordsSince } from '../../counter/index.ts';
import { type EntryFact, partnerEntriesSince, verifyLedger } from '../../ledger/index.ts';
import type { Db } from '../../platform/index.ts';
import type { Exchange } from './run-state.ts';

type Outcome = 'acknowledged' | 'refused' | 'unknown';

/** What the runner saw of one order, refund or hold across every exchange about it. */
type Told = { outcome: Outcome; entryId?: string | null; points?: number; holdId?: string };

type Expectations = {
  accruals: Map<string, Told>;
  authorisations: Map<string, Told>;
  captures: Map<string, Told>;
  redemptions: Map<string, Told>;
  refunds: Map<string, Told>;
};

export type AuditReport = { ok: boolean; lines: string[]; problems: string[] };

function outcomeOf(status: number): Outcome {
  if (status >= 200 && status < 300) return 'acknowledged';
  if (status >= 400 && status < 500) return 'refused';
  return 'unknown';
}

/** Acknowledged wins over unknown, unknown over refused: a retry may have applied. */
function tell(map: Map<string, Told>, key: string, told: Told): void {
  const rank = { refused: 0, unknown: 1, acknowledged: 2 };
  const before = map.get(key);
  if (!before || rank[told.outcome] >= rank[before.outcome]) map.set(key, told);
}

function parse(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
const entryOf = (v: unknown) => (typeof v === 'string' ? v : null);

function readBatch(e: Exchange, into: Expectations): void {
  const purchases = parse(e.requestBody).purchases;
  const results = parse(e.responseBody).results;
  if (!Array.isArray(purchases)) return;
  purchases.forEach((p: unknown, i) => {
    const orderId = str((p as Record<string, unknown>).orderId);
    if (!orderId) return;
    const result = Array.isArray(results) ? (results[i] as Record<string, unknown>) : undefined;
    if (e.status !== 200 || !result) {
      tell(into.accruals, orderId, { outcome: outcomeOf(e.status) });
      return;
    }
    const accrual = (result.accrual ?? {}) as Record<string, unknown>;
    tell(
      into.accruals,
      orderId,
      result.status === 'accrued'
        ? {
            outcome: 'acknowledged',
            entryId: entryOf(accrual.entryId),
            points: num(accrual.points),
          }
        : { outcome: 'refused' },
    );
  });
}

/** Reads the journal into what each order, hold and refund was told. */
export function expectations(journal: Exchange[]): Expectations {
  const into: Expectations = {
    accruals: new Map(),
    authorisations: new Map(),
    captures: new Map(),
    redemptions: new Map(),
    refunds: new Map(),
  };
  for (const e of journal) {
    const request = parse(e.requestBody);
    const answer = parse(e.responseBody);
    const outcome = outcomeOf(e.status);
    const told: Told =
      outcome === 'acknowledged'
        ? { outcome, entryId: entryOf(answer.entryId), points: num(answer.points) }
        : { outcome };
    const capture = /^\/v1\/partner\/redemptions\/([^/]+)\/capture$/.exec(e.path);
    if (e.path === '/v1/partner/accruals/batch') readBatch(e, into);
    else if (e.path === '/v1/partner/accruals' && str(request.orderId))
      tell(into.accruals, str(request.orderId) ?? '', told);
    else if (e.path === '/v1/partner/redemptions/authorise' && str(request.orderId))
      tell(into.authorisations, str(request.orderId) ?? '', {
        ...told,
        holdId: str(answer.holdId),
      });
    else if (capture?.[1]) tell(into.captures, capture[1], told);
    else if (e.path === '/v1/partner/redemptions' && str(request.orderId))
      tell(into.redemptions, str(request.orderId) ?? '', told);
    else if (e.path === '/v1/partner/refunds' && str(request.refundId))
      tell(into.refunds, str(request.refundId) ?? '', told);
  }
  return into;
}

type Facts = { till: TillRecords; entries: Map<string, EntryFact> };

/** The entry answered is in the ledger and moved the points answered (sign: + earned). */
function entryProblem(facts: Facts, what: string, entryId: string, memberPoints?: number) {
  const entry = facts.entries.get(entryId);
  if (!entry) return `${what}: its entry ${entryId} is not in the ledger`;
  if (memberPoints !== undefined && entry.memberPoints !== memberPoints)
    return `${what}: answered ${memberPoints} points, the ledger moved ${entry.memberPoints}`;
  return undefined;
}

function checkAccruals(x: Expectations, facts: Facts, problems: string[]): void {
  for (const [orderId, told] of x.accruals) {
    const row = facts.till.purchases.get(orderId);
    const what = `accrual ${orderId}`;
    if (told.outcome === 'refused' && row) problems.push(`${what} was refused but is booked`);
    if (told.outcome !== 'acknowledged') continue;
    if (!row) problems.push(`${what} was acknowledged but is not booked`);
    else if (row.entryId !== (told.entryId ?? null) || row.points !== told.points)
      problems.push(`${what}: answered entry ${told.entryId}, booked ${row.entryId}`);
    else if (told.entryId) {
      const problem = entryProblem(facts, what, told.entryId, told.points);
      if (problem) problems.push(problem);
    }
  }
}

function checkSpending(x: Expectations, facts: Facts, problems: string[]): void {
  const { redemptions, holdOrders } = facts.till;
  for (const [orderId, told] of [...x.authorisations, ...x.redemptions]) {
    if (told.outcome === 'refused' && redemptions.has(orderId))
      problems.push(`redemption ${orderId} was refused but is recorded`);
    if (told.outcome === 'acknowledged' && !redemptions.has(orderId))
      problems.push(`redemption ${orderId} was acknowledged but is not recorded`);
  }
  const spent = [
    ...[...x.captures].map(
      ([holdId, t]) => [holdOrders.get(holdId) ?? `hold ${holdId}`, t] as const,
    ),
    ...x.redemptions,
  ];
  for (const [orderId, told] of spent) {
    if (told.outcome !== 'acknowledged') continue;
    const row = redemptions.get(orderId);
    const what = `redemption ${orderId}`;
    if (!row?.entryId || row.entryId !== told.entryId)
      problems.push(`${what}: answered entry ${told.entryId}, recorded ${row?.entryId}`);
    else {
      const problem = entryProblem(facts, what, row.entryId, -(told.points ?? 0));
      if (problem) problems.push(problem);
    }
  }
}

function checkRefunds(x: Expectations, facts: Facts, problems: string[]): void {
  for (const [refundId, told] of x.refunds) {
    const row = facts.till.refunds.get(refundId);
    const what = `refund ${refundId}`;
    if (told.outcome === 'refused' && row) problems.push(`${what} was refused but is recorded`);
    if (told.outcome !== 'acknowledged') continue;
    if (!row || row.entryId !== (told.entryId ?? null))
      problems.push(`${what}: answered entry ${told.entryId}, recorded ${row?.entryId}`);
    else if (row.entryId) {
      const problem = entryProblem(facts, what, row.entryId);
      if (problem) problems.push(problem);
    }
  }
}

/** No order has two entries of one kind, and every entry of an order is the till's. */
function checkLedgerSide(facts: Facts, problems: string[]): void {
  const { till } = facts;
  const known = new Set<string>();
  for (const r of till.purchases.values()) if (r.entryId) known.add(r.entryId);
  for (const r of till.redemptions.values()) if (r.entryId) known.add(r.entryId);
  for (const r of till.refunds.values()) if (r.entryId) known.add(r.entryId);
  const seen = new Map<string, number>();
  for (const e of facts.entries.values()) {
    if (e.orderId === null) continue;
    const key = `${e.kind} of order ${e.orderId}${e.refundId ? ` refund ${e.refundId}` : ''}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    if (!known.has(e.id)) problems.push(`ledger entry ${e.id} (${key}) is in no till record`);
  }
  for (const [key, count] of seen) if (count > 1) problems.push(`${count} entries: ${key}`);
}

function counted(map: Map<string, Told>): string {
  const by = { acknowledged: 0, refused: 0, unknown: 0 };
  for (const t of map.values()) by[t.outcome] += 1;
  return `${by.acknowledged} acknowledged, ${by.refused} refused, ${by.unknown} unanswered`;
}

/** Why requests were refused or went unanswered: status and problem type, with counts. */
function refusals(journal: Exchange[]): string[] {
  const reasons = new Map<string, number>();
  for (const e of journal) {
    if (e.status >= 200 && e.status < 300) continue;
    const type = str(parse(e.responseBody).type)?.replace(/^.*\//, '') ?? 'no answer';
    const key = `${e.status} ${type} (${e.path.replace(/\/redemptions\/[^/]+\//, '/redemptions/{holdId}/')})`;
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
  }
  return [...reasons].map(([reason, n]) => `not accepted: ${n} x ${reason}`);
}

export async function audit(
  db: Db,
  partnerId: string,
  since: Date,
  journal: Exchange[],
): Promise<AuditReport> {
  const x = expectations(journal);
  const [till, entries, faults] = await Promise.all([
    tillRecordsSince(db, partnerId, since),
    partnerEntriesSince(db, partnerId, since),
    verifyLedger(db),
  ]);
  const facts: Facts = { till, entries: new Map(entries.map((e) => [e.id, e])) };
  const problems: string[] = [];
  checkAccruals(x, facts, problems);
  checkSpending(x, facts, problems);
  checkRefunds(x, facts, problems);
  checkLedgerSide(facts, problems);
  for (const fault of faults) problems.push(`ledger:verify: ${JSON.stringify(fault)}`);
  const lines = [
    ...refusals(journal),
    `accruals     ${counted(x.accruals)}`,
    `authorised   ${counted(x.authorisations)}`,
    `captures     ${counted(x.captures)}`,
    `redemptions  ${counted(x.redemptions)}`,
    `refunds      ${counted(x.refunds)}`,
    `ledger       ${entries.filter((e) => e.orderId !== null).length} entries for the partner's orders in the run; verify: ${faults.length === 0 ? 'holds' : `${faults.length} faults`}`,
  ];
  return { ok: problems.length === 0, lines, problems };
}
