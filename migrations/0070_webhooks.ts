import { type Kysely, sql } from 'kysely';

// Events pushed to partners.
//
// events (platform): the outbox. A use case writes its event in the transaction that makes the
// change, naming the partners it concerns (audience) and what each of them alone may see
// (audience_data, keyed by partner id); the dispatcher fans each event out to the endpoints
// subscribed to it and sets dispatched_at in the same transaction as the deliveries it made.
//
// webhook_endpoints (partners): where a partner wants which event types. A deleted endpoint
// is kept (status 'deleted') so that its deliveries keep their history.
//
// webhook_deliveries (partners): one event to one endpoint; a redelivery asked for by the
// partner is a new row pointing at the first. Delivered at least once: a worker claims an
// attempt by moving next_attempt_at past the attempt's deadline, so an attempt whose worker
// died is taken again once that passes.
//
// webhook_attempts (partners): every attempt, written when it starts (so one whose worker died
// is listed too, without an outcome), completed with the answer's status or the error.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE events (
      id uuid PRIMARY KEY,
      type text NOT NULL CHECK (type ~ '^[a-z][a-z_]*\.[a-z][a-z_]*$'),
      occurred_at timestamptz NOT NULL,
      audience uuid[] NOT NULL CHECK (cardinality(audience) BETWEEN 1 AND 10000),
      data jsonb NOT NULL,
      audience_data jsonb NOT NULL DEFAULT '{}',
      dispatched_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX events_pending ON events (id) WHERE dispatched_at IS NULL`.execute(db);
  await sql`CREATE INDEX events_dispatched ON events (dispatched_at)`.execute(db);

  await sql`
    CREATE TABLE webhook_endpoints (
      id uuid PRIMARY KEY,
      partner_id uuid NOT NULL REFERENCES partners (id),
      url text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
      event_types text[] NOT NULL CHECK (cardinality(event_types) BETWEEN 1 AND 50),
      description text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
      status text NOT NULL CHECK (status IN ('active', 'paused', 'deleted')),
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX webhook_endpoints_partner ON webhook_endpoints (partner_id, id)`.execute(
    db,
  );

  await sql`
    CREATE TABLE webhook_deliveries (
      id uuid PRIMARY KEY,
      endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id),
      partner_id uuid NOT NULL REFERENCES partners (id),
      event_id uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
      event_type text NOT NULL,
      body text NOT NULL,
      redelivery_of uuid REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
      status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
      attempts int4 NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      next_attempt_at timestamptz NOT NULL,
      give_up_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL,
      finished_at timestamptz,
      last_status int4,
      last_error text CHECK (length(last_error) <= 500)
    )`.execute(db);
  await sql`
    CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (endpoint_id, event_id)
    WHERE redelivery_of IS NULL`.execute(db);
  await sql`
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending'`.execute(db);
  await sql`
    CREATE INDEX webhook_deliveries_partner ON webhook_deliveries (partner_id, id)`.execute(db);

  await sql`
    CREATE TABLE webhook_attempts (
      id uuid PRIMARY KEY,
      delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
      attempt int4 NOT NULL CHECK (attempt >= 1),
      started_at timestamptz NOT NULL,
      duration_ms int4 CHECK (duration_ms >= 0),
      status_code int4,
      error text CHECK (length(error) <= 500),
      UNIQUE (delivery_id, attempt)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE webhook_attempts`.execute(db);
  await sql`DROP TABLE webhook_deliveries`.execute(db);
  await sql`DROP TABLE webhook_endpoints`.execute(db);
  await sql`DROP TABLE events`.execute(db);
}
