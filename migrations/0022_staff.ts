import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE staff (
      id uuid PRIMARY KEY,
      name text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
      role text NOT NULL CHECK (role IN ('admin', 'finance')),
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  // Only the SHA-256 of a token is kept: a leaked table does not hand out working tokens.
  await sql`
    CREATE TABLE staff_tokens (
      id uuid PRIMARY KEY,
      staff_id uuid NOT NULL REFERENCES staff (id),
      token_sha256 text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE staff_tokens, staff`.execute(db);
}
