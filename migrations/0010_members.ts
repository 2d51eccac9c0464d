import { type Kysely, sql } from 'kysely';

// The super-membership's core: alliance-wide membership settings, tiers, links to each brand's
// customer ids, growth value events and the record of tier changes.
// Migrations are frozen in time: they import nothing from the application.

export async function up(db: Kysely<unknown>): Promise<void> {
  // One row: the alliance's membership rules (the alliance itself is a single row too).
  await sql`
    CREATE TABLE membership_settings (
      id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
      growth_window_months integer NOT NULL DEFAULT 12 CHECK (growth_window_months BETWEEN 1 AND 120),
      tier_review_months integer NOT NULL DEFAULT 12 CHECK (tier_review_months BETWEEN 1 AND 120),
      trial_days integer NOT NULL DEFAULT 30 CHECK (trial_days BETWEEN 1 AND 366),
      closing_points_policy text NOT NULL DEFAULT 'forfeit'
        CHECK (closing_points_policy IN ('forfeit', 'pay_out')),
      new_member_days integer NOT NULL DEFAULT 30 CHECK (new_member_days BETWEEN 1 AND 366),
      dormant_after_days integer NOT NULL DEFAULT 90 CHECK (dormant_after_days BETWEEN 1 AND 3660),
      super_user_percent integer NOT NULL DEFAULT 10 CHECK (super_user_percent BETWEEN 1 AND 100),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`INSERT INTO membership_settings (id) VALUES (1)`.execute(db);

  // Tiers by rolling growth value (fen of qualifying spend). Rank 0 is the entry tier and its
  // threshold is 0; thresholds rise strictly with rank. Discounts are basis points of the price
  // paid (10000 = no discount, 9500 = 95%); earn multipliers are exact decimals as text.
  await sql`
    CREATE TABLE tiers (
      code text PRIMARY KEY CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
      rank smallint NOT NULL UNIQUE CHECK (rank BETWEEN 0 AND 20),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      threshold_growth bigint NOT NULL CHECK (threshold_growth >= 0),
      discount_bp integer NOT NULL CHECK (discount_bp BETWEEN 1 AND 10000),
      earn_multiplier text NOT NULL CHECK (earn_multiplier ~ '^[0-9]{1,6}(\\.[0-9]{1,6})?$'),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((rank = 0) = (threshold_growth = 0))
    )`.execute(db);
  await sql`
    INSERT INTO tiers (code, rank, name, threshold_growth, discount_bp, earn_multiplier) VALUES
      ('ordinary', 0, 'Ordinary', 0, 10000, '1'),
      ('star1', 1, '1-star', 50000, 9500, '1.2'),
      ('star2', 2, '2-star', 200000, 9000, '1.5'),
      ('star3', 3, '3-star', 300000, 8500, '2')`.execute(db);

  await sql`
    ALTER TABLE members
      ADD COLUMN tier_code text NOT NULL DEFAULT 'ordinary'
        REFERENCES tiers (code) ON UPDATE CASCADE,
      ADD COLUMN tier_since timestamptz NOT NULL DEFAULT now(),
      ADD COLUMN tier_review_at timestamptz,
      ADD COLUMN consent_marketing boolean NOT NULL DEFAULT false,
      ADD COLUMN consent_partner_sharing boolean NOT NULL DEFAULT false,
      ADD COLUMN consents_updated_at timestamptz,
      ADD COLUMN enrolled_by_partner_id uuid REFERENCES partners (id),
      ADD COLUMN closed_at timestamptz,
      ADD COLUMN closed_reason text CHECK (length(closed_reason) <= 500),
      ADD COLUMN closed_phone text,
      ADD COLUMN closed_email text,
      ADD CONSTRAINT members_closed_at CHECK ((status = 'closed') = (closed_at IS NOT NULL))`.execute(
    db,
  );
  await sql`CREATE INDEX members_tier_review ON members (tier_review_at) WHERE tier_review_at IS NOT NULL`.execute(
    db,
  );

  // A brand's own customer id, linked to one alliance member. A closed membership's links are
  // ended (unlinked_at), not deleted, so history keeps them and the brand may link the id anew.
  await sql`
    CREATE TABLE member_links (
      id uuid PRIMARY KEY,
      member_id uuid NOT NULL REFERENCES members (id),
      partner_id uuid NOT NULL REFERENCES partners (id),
      partner_customer_id text NOT NULL CHECK (length(partner_customer_id) BETWEEN 1 AND 128),
      linked_at timestamptz NOT NULL,
      unlinked_at timestamptz
    )`.execute(db);
  await sql`
    CREATE UNIQUE INDEX member_links_customer ON member_links (partner_id, partner_customer_id)
      WHERE unlinked_at IS NULL`.execute(db);
  await sql`
    CREATE UNIQUE INDEX member_links_one_per_partner ON member_links (partner_id, member_id)
      WHERE unlinked_at IS NULL`.execute(db);
  await sql`CREATE INDEX member_links_member ON member_links (member_id)`.execute(db);

  // Growth value: what decides the tier, apart from points. A purchase counts its qualifying
  // spend in fen; partners report other activities with an amount in the same unit. A refund
  // is a negative event. (partner_id, event_ref) makes a partner's retries harmless; the hub's
  // own events have no partner.
  await sql`
    CREATE TABLE growth_events (
      id uuid PRIMARY KEY,
      member_id uuid NOT NULL REFERENCES members (id),
      partner_id uuid REFERENCES partners (id),
      kind text NOT NULL CHECK (kind IN ('purchase', 'refund', 'check_in', 'review', 'other')),
      amount bigint NOT NULL CHECK ((kind = 'refund') = (amount < 0) AND amount <> 0),
      event_ref text NOT NULL CHECK (length(event_ref) BETWEEN 1 AND 128),
      occurred_at timestamptz NOT NULL,
      recorded_at timestamptz NOT NULL,
      UNIQUE NULLS NOT DISTINCT (partner_id, event_ref)
    )`.execute(db);
  await sql`CREATE INDEX growth_events_member_time ON growth_events (member_id, occurred_at)`.execute(
    db,
  );

  await sql`
    CREATE TABLE tier_changes (
      id uuid PRIMARY KEY,
      member_id uuid NOT NULL REFERENCES members (id),
      from_tier text REFERENCES tiers (code) ON UPDATE CASCADE,
      to_tier text NOT NULL REFERENCES tiers (code) ON UPDATE CASCADE,
      reason text NOT NULL CHECK (reason IN ('growth', 'review', 'operator')),
      growth_value bigint NOT NULL,
      growth_event_id uuid REFERENCES growth_events (id),
      note text CHECK (length(note) <= 500),
      changed_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX tier_changes_member ON tier_changes (member_id, changed_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE tier_changes, growth_events, member_links`.execute(db);
  await sql`
    ALTER TABLE members
      DROP CONSTRAINT members_closed_at,
      DROP COLUMN tier_code, DROP COLUMN tier_since, DROP COLUMN tier_review_at,
      DROP COLUMN consent_marketing, DROP COLUMN consent_partner_sharing,
      DROP COLUMN consents_updated_at, DROP COLUMN enrolled_by_partner_id,
      DROP COLUMN closed_at, DROP COLUMN closed_reason, DROP COLUMN closed_phone,
      DROP COLUMN closed_email`.execute(db);
  await sql`DROP TABLE tiers, membership_settings`.execute(db);
}
