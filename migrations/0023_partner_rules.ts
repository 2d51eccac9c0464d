import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The value of one point in the alliance currency's minor units, as an exact decimal
  // string: '1' means 1 point = 1 fen, i.e. 100 points = 1 CNY.
  await sql`
    ALTER TABLE alliance
      ADD COLUMN point_value_minor text NOT NULL DEFAULT '1'
        CHECK (point_value_minor ~ '^[0-9]{1,12}(\\.[0-9]{1,9})?$')`.execute(db);
  // Earn and burn rules, one row per partner; the documents are validated by the application
  // (zod) before they are written. A partner without a row earns and burns by the defaults.
  await sql`
    CREATE TABLE partner_rules (
      partner_id uuid PRIMARY KEY REFERENCES partners (id),
      earn_rule jsonb,
      burn_rule jsonb,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE partner_rules`.execute(db);
  await sql`ALTER TABLE alliance DROP COLUMN point_value_minor`.execute(db);
}
