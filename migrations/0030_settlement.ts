import { type Kysely, sql } from 'kysely';

// Clearing and settlement between partners. Frozen in time: imports nothing from the application.
//
// The money itself lives in the ledger (currency postings written with each redemption); these
// tables hold what settlement derives from it per period: the statement lines, each pointing at
// the ledger entry behind it, the net position of every partner, and the workflow (closed,
// computed, approved, paid) with who did what and when.

export async function up(db: Kysely<unknown>): Promise<void> {
  // The point value (alliance.point_value_minor) and time zone (alliance.time_zone) exist already.
  await sql`
    ALTER TABLE alliance
      ADD COLUMN clearing_fee_rate text NOT NULL DEFAULT '0.02'
        CHECK (clearing_fee_rate ~ '^[0-9]{1,12}(\\.[0-9]{1,9})?$'),
      ADD COLUMN fee_on_own_points boolean NOT NULL DEFAULT true,
      ADD COLUMN breakage_share_rate text NOT NULL DEFAULT '0'
        CHECK (breakage_share_rate ~ '^[0-9]{1,12}(\\.[0-9]{1,9})?$'),
      ADD COLUMN period_cut_time text NOT NULL DEFAULT '00:00'
        CHECK (period_cut_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$')`.execute(db);

  // One row per period, contiguous: each starts where the previous ended. "open" periods are not
  // stored; a row is written when the period is closed.
  await sql`
    CREATE TABLE settlement_periods (
      id uuid PRIMARY KEY,
      local_date date NOT NULL UNIQUE,
      starts_at timestamptz NOT NULL UNIQUE,
      ends_at timestamptz NOT NULL UNIQUE,
      status text NOT NULL CHECK (status IN ('closed', 'computed', 'approved', 'paid')),
      closed_at timestamptz NOT NULL,
      computed_at timestamptz,
      digest text,
      line_count bigint,
      hub_fees_minor bigint,
      approved_by uuid REFERENCES staff (id),
      approved_at timestamptz,
      paid_by uuid REFERENCES staff (id),
      paid_at timestamptz,
      CHECK (ends_at > starts_at),
      CHECK ((status = 'closed') = (computed_at IS NULL)),
      CHECK ((status IN ('approved', 'paid')) = (approved_at IS NOT NULL)),
      CHECK ((status = 'paid') = (paid_at IS NOT NULL))
    )`.execute(db);

  // A statement line: one partner's share of one ledger entry. Amounts in minor units of the
  // alliance currency, positive = the hub owes the partner. No foreign keys on this
  // million-row path (a per-row check costs as much as the insert): only the compute step
  // writes lines, under the period's row lock, and checks them against the postings.
  await sql`
    CREATE TABLE settlement_lines (
      period_id uuid NOT NULL,
      partner_id uuid NOT NULL,
      line_no bigint NOT NULL,
      entry_id uuid NOT NULL,
      booked_at timestamptz NOT NULL,
      kind text NOT NULL,
      role text NOT NULL CHECK (role IN ('issuer', 'acceptor')),
      counterparty_id uuid,
      order_id text,
      points bigint NOT NULL,
      value_minor bigint NOT NULL,
      fee_minor bigint NOT NULL,
      PRIMARY KEY (period_id, partner_id, line_no)
    )`.execute(db);

  // The figures per partner and period, each a sum over its lines; one row per partner that
  // has a line. The net is what the partner receives (positive) or pays (negative), once.
  await sql`
    CREATE TABLE settlement_positions (
      period_id uuid NOT NULL REFERENCES settlement_periods (id),
      partner_id uuid NOT NULL,
      line_count bigint NOT NULL,
      owed_to_others_minor bigint NOT NULL,
      owed_by_others_minor bigint NOT NULL,
      fees_minor bigint NOT NULL,
      breakage_points bigint NOT NULL,
      net_minor bigint NOT NULL,
      digest text NOT NULL,
      payment_reference text CHECK (length(payment_reference) BETWEEN 1 AND 200),
      PRIMARY KEY (period_id, partner_id),
      CHECK (net_minor = owed_by_others_minor - owed_to_others_minor - fees_minor)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE settlement_positions, settlement_lines, settlement_periods`.execute(db);
  await sql`
    ALTER TABLE alliance DROP COLUMN clearing_fee_rate, DROP COLUMN fee_on_own_points,
      DROP COLUMN breakage_share_rate, DROP COLUMN period_cut_time`.execute(db);
}
