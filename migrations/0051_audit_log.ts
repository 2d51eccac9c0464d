import { type Kysely, sql } from 'kysely';

// Every staff action (and every change an operator makes to the alliance's rules) is written
// here in the transaction that makes the change: who, when, what, and the state before and
// after. Append-only: the database refuses to change or delete a row, so the log cannot be
// edited by the code that writes it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE audit_log (
      id uuid PRIMARY KEY,
      at timestamptz NOT NULL,
      actor_kind text NOT NULL CHECK (actor_kind IN ('staff', 'partner', 'member', 'system')),
      actor_id text NOT NULL CHECK (length(actor_id) BETWEEN 1 AND 100),
      action text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]{0,63}$'),
      subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
      before jsonb,
      after jsonb
    )`.execute(db);
  await sql`CREATE INDEX audit_log_at ON audit_log (at, id)`.execute(db);
  await sql`CREATE INDEX audit_log_subject ON audit_log (subject, at)`.execute(db);
  await sql`
    CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE audit_log`.execute(db);
  await sql`DROP FUNCTION audit_log_append_only()`.execute(db);
}
