import { type Kysely, sql } from 'kysely';

// The paid super-membership as members buy it.
//
// membership_payments: one row per charge (a subscription, a renewal, an automatic renewal or a
// trial's conversion), made before the payment provider is asked and confirmed in the
// transaction that creates the term it pays for and posts its fee in the ledger. A member's
// Idempotency-Key names one payment, so a retried purchase is never charged twice; an automatic
// renewal's key is the term end it extends, so two workers cannot both renew one term.
//
// paid_memberships.auto_renew: the member's choice; the renewal job charges a day before the
// term ends and reminds the member some days before that (member_messages).
//
// member_messages: what the hub tells a member in the app (renewal reminders, receipts); a
// dedupe key makes each reminder once per term whatever the job's retries.
//
// benefit_uses.value_minor and counter_purchases.paid_extra_points: what "saved so far" is made
// of (the value of benefits used, and the points the paid membership added to purchases).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE paid_memberships
      ADD COLUMN auto_renew boolean NOT NULL DEFAULT false,
      ADD COLUMN auto_renew_set_at timestamptz`.execute(db);
  await sql`
    ALTER TABLE paid_plans
      ADD COLUMN description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
      ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()`.execute(db);
  await sql`
    CREATE TABLE membership_payments (
      id uuid PRIMARY KEY,
      member_id uuid NOT NULL REFERENCES members (id),
      plan_id uuid NOT NULL REFERENCES paid_plans (id),
      purpose text NOT NULL CHECK (purpose IN ('subscribe', 'renew', 'auto_renew', 'trial_conversion')),
      amount_minor bigint NOT NULL CHECK (amount_minor >= 0),
      currency char(3) NOT NULL,
      tier_code text NOT NULL,
      provider text NOT NULL CHECK (provider ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
      provider_ref text CHECK (length(provider_ref) BETWEEN 1 AND 200),
      status text NOT NULL CHECK (status IN ('pending', 'confirmed', 'failed')),
      failure_reason text CHECK (length(failure_reason) <= 500),
      idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
      term_id uuid REFERENCES paid_membership_terms (id),
      created_at timestamptz NOT NULL,
      settled_at timestamptz,
      UNIQUE (member_id, idempotency_key),
      CHECK ((status = 'confirmed') = (term_id IS NOT NULL)),
      CHECK ((status = 'pending') = (settled_at IS NULL))
    )`.execute(db);
  await sql`CREATE INDEX membership_payments_pending ON membership_payments (created_at)
    WHERE status = 'pending'`.execute(db);
  await sql`CREATE UNIQUE INDEX membership_payments_provider_ref ON membership_payments (provider, provider_ref)
    WHERE provider_ref IS NOT NULL`.execute(db);
  await sql`
    CREATE TABLE member_messages (
      id uuid PRIMARY KEY,
      member_id uuid NOT NULL REFERENCES members (id),
      kind text NOT NULL CHECK (kind IN ('renewal_reminder', 'renewed', 'renewal_failed', 'trial_converted')),
      subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
      body text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
      dedupe_key text NOT NULL UNIQUE CHECK (length(dedupe_key) BETWEEN 1 AND 200),
      created_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX member_messages_member ON member_messages (member_id, created_at)`.execute(
    db,
  );
  await sql`ALTER TABLE benefit_uses ADD COLUMN value_minor bigint CHECK (value_minor >= 0)`.execute(
    db,
  );
  await sql`ALTER TABLE counter_purchases
    ADD COLUMN paid_extra_points bigint NOT NULL DEFAULT 0 CHECK (paid_extra_points >= 0)`.execute(
    db,
  );
  // Only purchases the paid membership added to: a member's "saved so far" reads a few rows.
  await sql`CREATE INDEX counter_purchases_paid_extra ON counter_purchases (member_id, created_at)
    WHERE paid_extra_points > 0`.execute(db);
  await sql`
    ALTER TABLE membership_settings
      ADD COLUMN renewal_reminder_days integer NOT NULL DEFAULT 7
        CHECK (renewal_reminder_days BETWEEN 1 AND 60)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE membership_settings DROP COLUMN renewal_reminder_days`.execute(db);
  await sql`ALTER TABLE counter_purchases DROP COLUMN paid_extra_points`.execute(db);
  await sql`ALTER TABLE benefit_uses DROP COLUMN value_minor`.execute(db);
  await sql`DROP TABLE member_messages, membership_payments`.execute(db);
  await sql`ALTER TABLE paid_plans DROP COLUMN description, DROP COLUMN updated_at`.execute(db);
  await sql`ALTER TABLE paid_memberships DROP COLUMN auto_renew, DROP COLUMN auto_renew_set_at`.execute(
    db,
  );
}
