import { type Kysely, sql } from 'kysely';

// The counter's use cases each commit in one transaction, with what a retry must be told.
//
// growth_months: each member's growth events summed per calendar month (UTC), kept in the
// transaction that records the events, so that a growth value is a dozen month rows plus the
// exact events of the one month the rolling window cuts, never a scan of a year of events.
//
// pay_code_uses: a pay code is used up in the same transaction that spends the member's
// points, so a refused or failed redemption leaves the code valid and a code can never pay two
// orders. Only the code's digest is kept (the code is a bearer secret for its minute).
//
// counter_* answers: the answer a purchase or redemption was given, kept with it, so that a
// retry under another Idempotency-Key gets the first answer, never a recomputation.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE growth_months (
      member_id uuid NOT NULL REFERENCES members (id),
      month date NOT NULL CHECK (extract(day FROM month) = 1),
      amount bigint NOT NULL,
      PRIMARY KEY (member_id, month)
    )`.execute(db);
  await sql`
    INSERT INTO growth_months (member_id, month, amount)
    SELECT member_id, date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date, sum(amount)
    FROM growth_events GROUP BY 1, 2`.execute(db);

  await sql`
    CREATE TABLE pay_code_uses (
      code_digest text PRIMARY KEY,
      member_id uuid NOT NULL REFERENCES members (id),
      partner_id uuid NOT NULL REFERENCES partners (id),
      order_id text NOT NULL,
      used_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX pay_code_uses_used_at ON pay_code_uses (used_at)`.execute(db);

  await sql`
    ALTER TABLE counter_purchases
      ADD COLUMN request_hash text,
      ADD COLUMN answer text`.execute(db);
  await sql`
    ALTER TABLE counter_redemptions
      ADD COLUMN request_hash text,
      ADD COLUMN answer text,
      ADD COLUMN finish_request text,
      ADD COLUMN finish_answer text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE counter_redemptions
      DROP COLUMN request_hash, DROP COLUMN answer, DROP COLUMN finish_request,
      DROP COLUMN finish_answer`.execute(db);
  await sql`ALTER TABLE counter_purchases DROP COLUMN request_hash, DROP COLUMN answer`.execute(db);
  await sql`DROP TABLE pay_code_uses, growth_months`.execute(db);
}
