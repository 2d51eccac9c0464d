import { type Kysely, sql } from 'kysely';

// What partners' counters did, by the partner's own order ids: the link from a purchase or a
// redemption to its ledger entries, and the state a refund needs (how much was refunded).
// The money itself is only in the ledger.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE alliance
      ADD COLUMN points_lifetime_days integer NOT NULL DEFAULT 730 CHECK (points_lifetime_days BETWEEN 1 AND 3650),
      ADD COLUMN hold_ttl_seconds integer NOT NULL DEFAULT 900 CHECK (hold_ttl_seconds BETWEEN 10 AND 86400)`.execute(
    db,
  );

  await sql`
    CREATE TABLE counter_purchases (
      partner_id uuid NOT NULL REFERENCES partners (id),
      order_id text NOT NULL CHECK (length(order_id) BETWEEN 1 AND 100),
      member_id uuid NOT NULL REFERENCES members (id),
      store_id uuid NOT NULL REFERENCES stores (id),
      amount_minor bigint NOT NULL CHECK (amount_minor > 0),
      points bigint NOT NULL CHECK (points >= 0),
      entry_id uuid,
      purchased_at timestamptz NOT NULL,
      refunded_minor bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor),
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (partner_id, order_id)
    )`.execute(db);

  await sql`
    CREATE TABLE counter_redemptions (
      partner_id uuid NOT NULL REFERENCES partners (id),
      order_id text NOT NULL CHECK (length(order_id) BETWEEN 1 AND 100),
      member_id uuid NOT NULL REFERENCES members (id),
      store_id uuid NOT NULL REFERENCES stores (id),
      order_amount_minor bigint NOT NULL CHECK (order_amount_minor > 0),
      points bigint NOT NULL CHECK (points > 0),
      hold_id uuid UNIQUE,
      entry_id uuid,
      status text NOT NULL CHECK (status IN ('authorised', 'captured', 'voided', 'redeemed', 'refunded')),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (partner_id, order_id)
    )`.execute(db);

  await sql`
    CREATE TABLE counter_refunds (
      partner_id uuid NOT NULL REFERENCES partners (id),
      refund_id text NOT NULL CHECK (length(refund_id) BETWEEN 1 AND 100),
      order_id text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('purchase', 'redemption')),
      amount_minor bigint NOT NULL CHECK (amount_minor >= 0),
      points bigint NOT NULL,
      unrecovered_points bigint NOT NULL DEFAULT 0,
      entry_id uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (partner_id, refund_id)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE counter_refunds, counter_redemptions, counter_purchases`.execute(db);
  await sql`ALTER TABLE alliance DROP COLUMN points_lifetime_days, DROP COLUMN hold_ttl_seconds`.execute(
    db,
  );
}
