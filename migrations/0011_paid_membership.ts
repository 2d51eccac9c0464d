import { type Kysely, sql } from 'kysely';

// The paid super-membership: plans, each member's subscription, and every term (trial or paid)
// as an immutable history row.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE paid_plans (
      id uuid PRIMARY KEY,
      code text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]{1,39}$'),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      currency char(3) NOT NULL DEFAULT 'CNY',
      fee_minor bigint NOT NULL CHECK (fee_minor >= 0),
      term_months integer NOT NULL DEFAULT 12 CHECK (term_months BETWEEN 1 AND 36),
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);

  // The fee may depend on the member's tier (88VIP: 88 or 888). A tier without a row pays the
  // plan's fee.
  await sql`
    CREATE TABLE paid_plan_tier_fees (
      plan_id uuid NOT NULL REFERENCES paid_plans (id),
      tier_code text NOT NULL REFERENCES tiers (code) ON UPDATE CASCADE,
      fee_minor bigint NOT NULL CHECK (fee_minor >= 0),
      PRIMARY KEY (plan_id, tier_code)
    )`.execute(db);

  // One row per member: the state of their paid membership. Whether benefits apply is decided
  // by the clock against current_term_end, never by status alone, so a late expiry job cannot
  // extend a membership.
  await sql`
    CREATE TABLE paid_memberships (
      member_id uuid PRIMARY KEY REFERENCES members (id),
      plan_id uuid NOT NULL REFERENCES paid_plans (id),
      status text NOT NULL CHECK (status IN ('trial', 'active', 'cancelled', 'expired')),
      current_term_start timestamptz NOT NULL,
      current_term_end timestamptz NOT NULL,
      cancelled_at timestamptz,
      updated_at timestamptz NOT NULL,
      CHECK (current_term_end > current_term_start)
    )`.execute(db);
  await sql`
    CREATE INDEX paid_memberships_expiry ON paid_memberships (current_term_end)
      WHERE status <> 'expired'`.execute(db);

  await sql`
    CREATE TABLE paid_membership_terms (
      id uuid PRIMARY KEY,
      member_id uuid NOT NULL REFERENCES members (id),
      plan_id uuid NOT NULL REFERENCES paid_plans (id),
      kind text NOT NULL CHECK (kind IN ('trial', 'paid')),
      starts_at timestamptz NOT NULL,
      ends_at timestamptz NOT NULL,
      fee_minor bigint NOT NULL CHECK (fee_minor >= 0),
      currency char(3) NOT NULL,
      tier_code text NOT NULL,
      idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
      created_at timestamptz NOT NULL,
      CHECK (ends_at > starts_at),
      CHECK (kind = 'paid' OR fee_minor = 0),
      UNIQUE (member_id, idempotency_key)
    )`.execute(db);
  // The free trial is once per member, whatever happens after.
  await sql`
    CREATE UNIQUE INDEX paid_membership_terms_one_trial ON paid_membership_terms (member_id)
      WHERE kind = 'trial'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE paid_membership_terms, paid_memberships, paid_plan_tier_fees, paid_plans`.execute(
    db,
  );
}
