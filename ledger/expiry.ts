import { sql } from 'kysely';
import { newId } from '../platform/index.ts';
import { type AccountKey, partnerPointsKey, pointsAsset } from './accounts.ts';
import { appendEntries, type EntrySpec, lockAccounts } from './journal.ts';
import { adjustLots, type Movement, recordMovements } from './lots.ts';
import type { LedgerDeps } from './requests.ts';

type DueLot = {
  id: string;
  account_id: string;
  member_id: string;
  issuer_partner_id: string;
  expiring: number;
};

/**
 * Postings in another asset written with each expiry entry, in the same transaction: the
 * settlement's share of breakage that the issuer owes the hub. Zero amounts are left out.
 */
export type ExpiryPostings = (lot: {
  issuerPartnerId: string;
  points: number;
}) => Array<{ key: AccountKey; amount: number }>;

/** Accounts handled per transaction: bounded so that a sweep never holds many locks for long. */
const accountsPerTransactionMax = 200;

/**
 * Moves the unspent, unheld remainder of every lot past its expiry to the issuer's breakage
 * account: one entry per lot. Held points stay until their hold ends; the next sweep takes
 * them if the hold was voided. Safe to run concurrently and repeatedly. Returns lots expired.
 */
export async function expireLots(
  deps: LedgerDeps,
  limitMax = 5000,
  extraPostings?: ExpiryPostings,
): Promise<number> {
  const now = deps.clock.now();
  const { rows } = await sql<{ account_id: string }>`
    SELECT DISTINCT account_id FROM (
      SELECT account_id FROM ledger_lots WHERE expires_at <= ${now.toISOString()}::timestamptz AND remaining > held
      ORDER BY expires_at LIMIT ${limitMax}) due`.execute(deps.db);
  let expired = 0;
  for (let i = 0; i < rows.length; i += accountsPerTransactionMax) {
    const accounts = rows.slice(i, i + accountsPerTransactionMax).map((r) => r.account_id);
    expired += await expireForAccounts(deps, accounts, now, extraPostings);
  }
  return expired;
}

async function expireForAccounts(
  deps: LedgerDeps,
  memberAccounts: string[],
  now: Date,
  extraPostings?: ExpiryPostings,
): Promise<number> {
  return deps.db.transaction().execute(async (tx) => {
    await lockAccounts(tx, memberAccounts);
    const { rows: due } = await sql<DueLot>`
      SELECT id, account_id, member_id, issuer_partner_id, remaining - held AS expiring FROM ledger_lots
      WHERE account_id = ANY(${memberAccounts}::uuid[]) AND expires_at <= ${now.toISOString()}::timestamptz AND remaining > held
      ORDER BY account_id, issued_at, id FOR UPDATE`.execute(tx);
    if (due.length === 0) return 0;
    const issuers = [...new Set(due.map((l) => l.issuer_partner_id))];
    const breakage = await deps.accounts.ids(
      issuers.map((p) => partnerPointsKey(p, 'partner_breakage')),
      tx,
    );
    const extras = due.map((l) =>
      (extraPostings?.({ issuerPartnerId: l.issuer_partner_id, points: l.expiring }) ?? []).filter(
        (e) => e.amount !== 0,
      ),
    );
    const extraKeys = extras.flat().map((e) => e.key);
    const extraIds = await deps.accounts.ids(extraKeys, tx);
    const extraIdOf = new Map(extraKeys.map((k, i) => [k, extraIds[i] ?? '']));
    // One call, so that partner and hub accounts are locked together in the global order.
    await lockAccounts(tx, [...breakage, ...extraIds]);
    const breakageOf = new Map(issuers.map((p, i) => [p, breakage[i] ?? '']));
    const entries: EntrySpec[] = [];
    const movements: Movement[] = [];
    for (const [n, lot] of due.entries()) {
      const entryId = newId();
      entries.push({
        id: entryId,
        kind: 'expiry',
        bookedAt: now,
        partnerId: lot.issuer_partner_id,
        memberId: lot.member_id,
        metadata: { lotId: lot.id },
        postings: [
          { accountId: lot.account_id, asset: pointsAsset, amount: -lot.expiring },
          {
            accountId: breakageOf.get(lot.issuer_partner_id) ?? '',
            asset: pointsAsset,
            amount: lot.expiring,
          },
          ...(extras[n] ?? []).map((e) => ({
            accountId: extraIdOf.get(e.key) ?? '',
            asset: e.key.asset,
            amount: e.amount,
          })),
        ],
      });
      movements.push({
        entryId,
        lotId: lot.id,
        issuerPartnerId: lot.issuer_partner_id,
        points: lot.expiring,
      });
    }
    await adjustLots(
      tx,
      due.map((l) => ({ lotId: l.id, remainingDelta: -l.expiring, heldDelta: 0 })),
    );
    await appendEntries(tx, entries);
    await recordMovements(tx, movements);
    return due.length;
  });
}
