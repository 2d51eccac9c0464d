import { sql } from 'kysely';
import type { Db } from '../platform/index.ts';

/** Each check is a query that returns nothing when the ledger is sound, else one row per fault. */
const checks: Array<{ name: string; query: string }> = [
  {
    name: 'balances of an asset do not sum to zero',
    query: `SELECT asset, sum(balance)::text AS total FROM ledger_accounts GROUP BY asset HAVING sum(balance) <> 0`,
  },
  {
    name: 'account balance differs from the sum of its postings',
    query: `SELECT a.id, a.balance::text, coalesce(p.total, 0)::text AS postings FROM ledger_accounts a
      LEFT JOIN (SELECT account_id, sum(amount) AS total FROM ledger_postings GROUP BY account_id) p ON p.account_id = a.id
      WHERE a.balance <> coalesce(p.total, 0)`,
  },
  {
    name: 'account below its floor',
    query: `SELECT id, balance::text, held::text, floor::text FROM ledger_accounts WHERE floor IS NOT NULL AND balance - held < floor`,
  },
  {
    name: 'entry not balanced',
    query: `SELECT entry_id, asset, sum(amount)::text AS total FROM ledger_postings GROUP BY entry_id, asset HAVING sum(amount) <> 0`,
  },
  {
    name: 'entry with fewer than two postings',
    query: `SELECT e.id FROM ledger_entries e LEFT JOIN ledger_postings p ON p.entry_id = e.id GROUP BY e.id HAVING count(p.id) < 2`,
  },
  {
    name: 'posting in another asset than its account',
    query: `SELECT p.id, p.asset, a.asset AS account_asset FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id WHERE p.asset <> a.asset`,
  },
  {
    name: "member's lots do not add up to the balance",
    query: `SELECT a.id, a.balance::text, coalesce(l.remaining, 0)::text AS lots FROM ledger_accounts a
      LEFT JOIN (SELECT account_id, sum(remaining) AS remaining FROM ledger_lots GROUP BY account_id) l ON l.account_id = a.id
      WHERE a.kind = 'member_points' AND a.balance <> coalesce(l.remaining, 0)`,
  },
  {
    name: "member's held points differ from the lots held and from the open holds",
    query: `SELECT a.id, a.held::text, coalesce(l.held, 0)::text AS lots_held, coalesce(h.held, 0)::text AS holds FROM ledger_accounts a
      LEFT JOIN (SELECT account_id, sum(held) AS held FROM ledger_lots GROUP BY account_id) l ON l.account_id = a.id
      LEFT JOIN (SELECT account_id, sum(amount) AS held FROM ledger_holds WHERE status = 'active' GROUP BY account_id) h ON h.account_id = a.id
      WHERE a.kind = 'member_points' AND (a.held <> coalesce(l.held, 0) OR a.held <> coalesce(h.held, 0))`,
  },
  {
    name: "lot's remaining differs from its amount less the points moved out of it",
    query: `SELECT l.id, l.amount::text, l.remaining::text, coalesce(m.moved, 0)::text AS moved FROM ledger_lots l
      LEFT JOIN (SELECT lot_id, sum(points) AS moved FROM ledger_lot_movements GROUP BY lot_id) m ON m.lot_id = l.id
      WHERE l.remaining <> l.amount - coalesce(m.moved, 0)`,
  },
  {
    name: "issuer's outstanding points differ from its lots' remainders",
    query: `SELECT o.owner_id, o.outstanding::text, coalesce(l.remaining, 0)::text AS lots FROM
      (SELECT owner_id, -sum(balance) AS outstanding FROM ledger_accounts
        WHERE asset = 'PTS' AND kind IN ('partner_issued', 'partner_redeemed', 'partner_breakage') GROUP BY owner_id) o
      LEFT JOIN (SELECT issuer_partner_id, sum(remaining) AS remaining FROM ledger_lots GROUP BY issuer_partner_id) l
        ON l.issuer_partner_id = o.owner_id
      WHERE o.outstanding <> coalesce(l.remaining, 0)`,
  },
];

const faultsPerCheckMax = 20;

export type LedgerFault = { check: string; rows: Array<Record<string, unknown>> };

/** Checks every invariant of the ledger; an empty list means sound. Read-only. */
export async function verifyLedger(db: Db): Promise<LedgerFault[]> {
  const faults: LedgerFault[] = [];
  await db.transaction().execute(async (tx) => {
    // One snapshot for every check, so that concurrent writes cannot show as faults.
    await sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY`.execute(tx);
    for (const check of checks) {
      const { rows } = await sql<
        Record<string, unknown>
      >`${sql.raw(check.query)} LIMIT ${faultsPerCheckMax}`.execute(tx);
      if (rows.length > 0) faults.push({ check: check.name, rows });
    }
  });
  return faults;
}
