import { sql } from 'kysely';
import { newId } from '../platform/index.ts';
import { partnerPointsKey, pointsAsset } from './accounts.ts';
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

/** Accounts handled per transaction: bounded so that a sweep never holds many locks for long. */
const accountsPerTransactionMax = 200;

/**
 * Moves the unspent, unheld remainder of every lot past its expiry to the issuer's breakage
 * account: one entry per lot. Held points stay until their hold ends; the next sweep takes
 * them if the hold was voided. Safe to run concurrently and repeatedly. Returns lots expired.
 */
export async function expireLots(deps: LedgerDeps, limitMax = 5000): Promise<number> {
  const now = deps.clock.now();
  const { rows } = await sql<{ account_id: string }>`
    SELECT DISTINCT account_id FROM (
      SELECT account_id FROM ledger_lots WHERE expires_at <= ${now.toISOString()}::timestamptz AND remaining > held
      ORDER BY expires_at LIMIT ${limitMax}) due`.execute(deps.db);
  let expired = 0;
  for (let i = 0; i < rows.length; i += accountsPerTransactionMax) {
    const accounts = rows.slice(i, i + accountsPerTransactionMax).map((r) => r.account_id);
    expired += await expireForAccounts(deps, accounts, now);
  }
  return expired;
}

async function expireForAccounts(
  deps: LedgerDeps,
  memberAccounts: string[],
  now: Date,
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
    );
    await lockAccounts(tx, breakage);
    const breakageOf = new Map(issuers.map((p, i) => [p, breakage[i] ?? '']));
    const entries: EntrySpec[] = [];
    const movements: Movement[] = [];
    for (const lot of due) {
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
