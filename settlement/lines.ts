import { sql } from 'kysely';
import { pointsAsset } from '../ledger/index.ts';
import type { Db } from '../platform/index.ts';
import { clearingKinds } from './clearing.ts';

/**
 * Writes a period's statement lines from the ledger, in one set-based statement. Every entry
 * booked in [starts_at, ends_at) that moved an issuer's redeemed or breakage points gives:
 * - an issuer line for that issuer: the points, the value it owes the acceptor (negative),
 *   the fee it owes the hub (negative); for expiry, the breakage points and the hub's share;
 * - an acceptor line, when another partner accepted the points: the value mirrored.
 * A refund carries the order id of the redemption it reverses, so reconciliation pairs them.
 * Line numbers follow (booked_at, entry, role, counterparty): the same ledger, the same lines.
 */
export async function insertLines(
  tx: Db,
  period: { id: string; startsAt: Date; endsAt: Date },
  currency: string,
): Promise<void> {
  await sql`
    WITH acc AS (
      SELECT id, owner_id, kind FROM ledger_accounts WHERE owner_type = 'partner' AND (
        (asset = ${pointsAsset} AND kind IN ('partner_redeemed', 'partner_breakage'))
        OR (asset = ${currency} AND kind IN (${clearingKinds.partnerClearing}, ${clearingKinds.partnerFees})))
    ), per AS (
      SELECT p.entry_id, a.owner_id,
        sum(p.amount) FILTER (WHERE a.kind IN ('partner_redeemed', 'partner_breakage')) AS points,
        coalesce(sum(p.amount) FILTER (WHERE a.kind = ${clearingKinds.partnerClearing}), 0) AS value,
        coalesce(sum(p.amount) FILTER (WHERE a.kind = ${clearingKinds.partnerFees}), 0) AS fee
      FROM ledger_postings p JOIN acc a ON a.id = p.account_id
      WHERE p.booked_at >= ${period.startsAt.toISOString()}::timestamptz
        AND p.booked_at < ${period.endsAt.toISOString()}::timestamptz
      GROUP BY p.entry_id, a.owner_id
    ), issuer AS (
      SELECT per.entry_id, per.owner_id AS partner_id, e.booked_at, e.kind,
        CASE WHEN e.partner_id = per.owner_id THEN NULL ELSE e.partner_id END AS counterparty_id,
        coalesce(e.metadata->>'orderId', o.metadata->>'orderId') AS order_id, per.points,
        CASE WHEN e.partner_id = per.owner_id THEN 0 ELSE per.value END AS value_minor, per.fee AS fee_minor
      FROM per JOIN ledger_entries e ON e.id = per.entry_id
        LEFT JOIN ledger_entries o ON o.id = e.reverses_entry_id
      WHERE per.points IS NOT NULL
    ), lines AS (
      SELECT entry_id, partner_id, booked_at, kind, 'issuer' AS role, counterparty_id, order_id,
        points, value_minor, fee_minor FROM issuer
      UNION ALL
      SELECT entry_id, counterparty_id, booked_at, kind, 'acceptor', partner_id, order_id,
        points, -value_minor, 0 FROM issuer WHERE counterparty_id IS NOT NULL
    )
    INSERT INTO settlement_lines (period_id, partner_id, line_no, entry_id, booked_at, kind, role,
      counterparty_id, order_id, points, value_minor, fee_minor)
    SELECT ${period.id}::uuid, partner_id,
      row_number() OVER (PARTITION BY partner_id ORDER BY booked_at, entry_id, role DESC, counterparty_id NULLS FIRST),
      entry_id, booked_at, kind, role, counterparty_id, order_id, points, value_minor, fee_minor
    FROM lines`.execute(tx);
}

/** Statement columns, in CSV order. */
export const csvHeader =
  'line,booked_at,entry_id,kind,role,counterparty_id,order_id,points,value_minor,fee_minor';

/**
 * The order id as a CSV cell. It is the partner's text, and finance opens statements in a
 * spreadsheet: a cell starting with = + - @, tab or CR would run as a formula, so it gets a
 * leading ' and is quoted (OWASP's CSV injection advice); any cell holding a comma, quote or
 * line break is quoted, quotes doubled. Numbers and hub-made columns need neither.
 */
const orderIdCell = sql<string>`CASE
  WHEN l.order_id IS NULL THEN ''
  WHEN l.order_id ~ '^[=+@\t\r-]' THEN '"''' || replace(l.order_id, '"', '""') || '"'
  WHEN l.order_id ~ '[",\r\n]' THEN '"' || replace(l.order_id, '"', '""') || '"'
  ELSE l.order_id END`;

/**
 * One statement line as CSV text, built by PostgreSQL so that the stored digest and the served
 * file come from the same expression: the digest is over these escaped bytes. Times are UTC
 * ISO 8601 with milliseconds.
 */
export const csvLine = sql<string>`concat_ws(',', l.line_no, to_char(l.booked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  l.entry_id, l.kind, l.role, coalesce(l.counterparty_id::text, ''), ${orderIdCell},
  l.points, l.value_minor, l.fee_minor)`;
