import { sql } from 'kysely';
import type { Db } from '../platform/index.ts';
import { pointsAsset } from './accounts.ts';

/** The kinds of an issuer's points accounts: their balances sum to minus its outstanding points. */
export const issuerPointKinds = ['partner_issued', 'partner_redeemed', 'partner_breakage'] as const;

/**
 * Outstanding points of the given issuers, read under a lock that every caller of this function
 * takes first: the accrual batches that carry a capped issuer's purchases. Batches on other
 * shards (or in other processes) would otherwise each read the outstanding points without the
 * others' uncommitted accruals and together pass the cap; under the lock they take turns, and
 * each reads what the one before committed (READ COMMITTED: a statement's snapshot is taken
 * when it starts, after the lock is granted, and a transaction's locks are released only once
 * its commit is visible).
 *
 * The lock is a transaction-level advisory lock per issuer, taken in one order (by lock key)
 * before anything else in the transaction, so two batches cannot wait on each other through it.
 * Issuers without a cap take no lock and pay nothing. The figure is the issuer's accounts'
 * balances (every shard): issued, less redeemed and expired, which ledger verify checks equals
 * its lots' remaining points.
 */
export async function lockIssuersOutstanding(
  tx: Db,
  issuerIds: string[],
): Promise<Map<string, number>> {
  if (issuerIds.length === 0) return new Map();
  const ids = [...new Set(issuerIds)];
  // One after the other, never pipelined: the read's snapshot must follow the locks.
  await sql`SELECT count(pg_advisory_xact_lock(k)) FROM (
      SELECT DISTINCT hashtextextended('issuer-outstanding:' || id, 0) AS k
      FROM unnest(${ids}::text[]) AS t(id) ORDER BY k) locks`.execute(tx);
  const balances = await sql<{ owner_id: string; outstanding: number }>`
    SELECT owner_id, (-sum(balance))::int8 AS outstanding FROM ledger_accounts
    WHERE owner_type = 'partner' AND owner_id = ANY(${ids}::uuid[]) AND asset = ${pointsAsset}
      AND kind = ANY(${[...issuerPointKinds]}::text[])
    GROUP BY owner_id`.execute(tx);
  const outstanding = new Map(ids.map((id) => [id, 0]));
  for (const row of balances.rows) outstanding.set(row.owner_id, row.outstanding);
  return outstanding;
}
