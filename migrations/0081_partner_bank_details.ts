import { type Kysely, sql } from 'kysely';

// Partners' bank details with their history, and an optional cap on an issuer's outstanding
// points. Frozen in time: imports nothing.
//
// Bank details are never edited: each change is a new row, the latest is in force, and the
// partner's settlement_details column keeps a copy of it (what GET /partners shows). A wrong
// account number is the classic way money goes astray, so who set what, and when, stays.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE partner_bank_details (
      id uuid PRIMARY KEY,
      -- The order versions were written in: the latest is in force, whatever clocks said.
      version bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
      partner_id uuid NOT NULL REFERENCES partners (id),
      account_name text NOT NULL CHECK (length(account_name) BETWEEN 1 AND 200),
      account_number text NOT NULL CHECK (account_number ~ '^[0-9A-Z]{6,34}$'),
      currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      set_by text NOT NULL CHECK (length(set_by) BETWEEN 1 AND 100),
      set_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX partner_bank_details_partner ON partner_bank_details (partner_id, version)`.execute(
    db,
  );
  await sql`
    CREATE FUNCTION partner_bank_details_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'partner_bank_details is append-only' USING ERRCODE = 'insufficient_privilege';
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER partner_bank_details_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON partner_bank_details
    FOR EACH STATEMENT EXECUTE FUNCTION partner_bank_details_append_only()`.execute(db);
  // The details partners were onboarded with become the first row of their history.
  await sql`
    INSERT INTO partner_bank_details (id, partner_id, account_name, account_number, currency, set_by, set_at)
    SELECT gen_random_uuid(), id, settlement_details->>'bankAccountName', settlement_details->>'bankAccountNumber',
      settlement_details->>'currency', 'onboarding', created_at
    FROM partners
    WHERE settlement_details->>'bankAccountName' IS NOT NULL
      AND settlement_details->>'bankAccountNumber' ~ '^[0-9A-Z]{6,34}$'
      AND settlement_details->>'currency' ~ '^[A-Z]{3}$'`.execute(db);

  // NULL: no cap. Checked by every accrual batch that carries the issuer's purchases.
  await sql`
    ALTER TABLE partner_rules ADD COLUMN outstanding_points_max bigint
      CHECK (outstanding_points_max > 0)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE partner_rules DROP COLUMN outstanding_points_max`.execute(db);
  await sql`DROP TABLE partner_bank_details`.execute(db);
  await sql`DROP FUNCTION partner_bank_details_append_only()`.execute(db);
}
