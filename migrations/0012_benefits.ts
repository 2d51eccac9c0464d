import { type Kysely, sql } from 'kysely';

// The benefits catalog (published by a partner, or by the hub when partner_id is null), and
// every use of a benefit by a member.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE benefits (
      id uuid PRIMARY KEY,
      partner_id uuid REFERENCES partners (id),
      code text NOT NULL CHECK (code ~ '^[a-z0-9][a-z0-9_-]{1,63}$'),
      title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
      description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
      kind text NOT NULL
        CHECK (kind IN ('discount_rate', 'coupon', 'free_shipping', 'earn_multiplier', 'service_perk')),
      params jsonb NOT NULL DEFAULT '{}',
      target_tiers text[],
      paid_only boolean NOT NULL DEFAULT false,
      valid_from timestamptz NOT NULL,
      valid_until timestamptz,
      usage_limit integer CHECK (usage_limit > 0),
      usage_period text CHECK (usage_period IN ('day', 'week', 'month', 'year', 'lifetime')),
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn')),
      created_at timestamptz NOT NULL,
      withdrawn_at timestamptz,
      CHECK (valid_until IS NULL OR valid_until > valid_from),
      CHECK ((usage_limit IS NULL) = (usage_period IS NULL)),
      CHECK (target_tiers IS NULL OR cardinality(target_tiers) > 0),
      UNIQUE NULLS NOT DISTINCT (partner_id, code)
    )`.execute(db);
  await sql`CREATE INDEX benefits_active ON benefits (valid_from) WHERE status = 'active'`.execute(
    db,
  );

  // Usage periods are calendar periods in the alliance's time zone (a month starts at local
  // midnight on the 1st); 'lifetime' is one period from the epoch.
  await sql`
    CREATE FUNCTION benefit_period_start(p_period text, p_at timestamptz, p_tz text)
    RETURNS timestamptz LANGUAGE sql STABLE AS $$
      SELECT CASE WHEN p_period = 'lifetime' THEN timestamptz '1970-01-01 00:00:00+00'
        ELSE date_trunc(p_period, p_at AT TIME ZONE p_tz) AT TIME ZONE p_tz END
    $$`.execute(db);
  await sql`
    CREATE FUNCTION benefit_period_end(p_period text, p_at timestamptz, p_tz text)
    RETURNS timestamptz LANGUAGE sql STABLE AS $$
      SELECT CASE WHEN p_period = 'lifetime' THEN NULL
        ELSE (date_trunc(p_period, p_at AT TIME ZONE p_tz) + ('1 ' || p_period)::interval)
          AT TIME ZONE p_tz END
    $$`.execute(db);

  // period_start is the start of the usage period (in the alliance's time zone) the use counts
  // against; counting uses of the current period is one index range.
  await sql`
    CREATE TABLE benefit_uses (
      id uuid PRIMARY KEY,
      benefit_id uuid NOT NULL REFERENCES benefits (id),
      member_id uuid NOT NULL REFERENCES members (id),
      used_at_partner_id uuid REFERENCES partners (id),
      period_start timestamptz NOT NULL,
      idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
      used_at timestamptz NOT NULL,
      UNIQUE (benefit_id, member_id, idempotency_key)
    )`.execute(db);
  await sql`CREATE INDEX benefit_uses_period ON benefit_uses (member_id, benefit_id, period_start)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE benefit_uses, benefits`.execute(db);
  await sql`DROP FUNCTION benefit_period_start, benefit_period_end`.execute(db);
}
