import { type Kysely, sql } from 'kysely';

// What a finance team needs around the daily netting. Frozen in time: imports nothing.
//
// - A period keeps the currency it was settled in: a later change of the alliance's currency
//   must not relabel the amounts of periods already closed.
// - The points liability per issuer, snapshotted at the end of every closed period (the daily
//   snapshot): outstanding points, their value, the breakage rate observed and the expected
//   breakage, with the inputs that made them, so a snapshot explains itself later.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE settlement_periods ADD COLUMN currency char(3)`.execute(db);
  await sql`UPDATE settlement_periods SET currency = coalesce((SELECT currency FROM alliance), 'CNY')`.execute(
    db,
  );
  await sql`ALTER TABLE settlement_periods ALTER COLUMN currency SET NOT NULL,
    ADD CONSTRAINT settlement_periods_currency CHECK (currency ~ '^[A-Z]{3}$'),
    ADD COLUMN liability_snapshot_at timestamptz`.execute(db);

  await sql`
    CREATE TABLE liability_snapshots (
      period_id uuid NOT NULL REFERENCES settlement_periods (id),
      partner_id uuid NOT NULL,
      at timestamptz NOT NULL,
      currency char(3) NOT NULL,
      point_value_minor text NOT NULL,
      outstanding_points bigint NOT NULL,
      expired_unswept_points bigint NOT NULL,
      value_minor bigint NOT NULL,
      window_redeemed_points bigint NOT NULL,
      window_breakage_points bigint NOT NULL,
      expected_breakage_points bigint NOT NULL,
      expected_breakage_minor bigint NOT NULL,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (period_id, partner_id)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE liability_snapshots`.execute(db);
  await sql`ALTER TABLE settlement_periods DROP COLUMN currency, DROP COLUMN liability_snapshot_at`.execute(
    db,
  );
}
