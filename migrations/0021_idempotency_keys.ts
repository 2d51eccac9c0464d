import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // One row per (partner, Idempotency-Key): the first request claims it (in_progress, with a
  // lease), its answer is stored when done, and every later request with the same key gets
  // that answer back. request_hash covers method, path and body digest, so that the same key
  // with another request is recognised as a reuse.
  await sql`
    CREATE TABLE idempotency_keys (
      partner_id uuid NOT NULL REFERENCES partners (id),
      key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
      request_hash text NOT NULL,
      state text NOT NULL CHECK (state IN ('in_progress', 'done')),
      lease_id uuid NOT NULL,
      locked_at timestamptz NOT NULL,
      response_status smallint,
      response_headers jsonb,
      response_body text,
      created_at timestamptz NOT NULL,
      completed_at timestamptz,
      PRIMARY KEY (partner_id, key),
      CHECK ((state = 'done') = (response_status IS NOT NULL))
    )`.execute(db);
  await sql`CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE idempotency_keys`.execute(db);
}
