import { type Kysely, sql } from 'kysely';

// A partner's own staff sign in to the partner portal with a user name and a password the hub
// issues per partner: people, not the server-to-server signing keys. Only a scrypt hash of the
// password is kept (`scrypt$N$r$p$salt$hash`, base64url), so the table cannot be used to sign in.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE partner_users (
      id uuid PRIMARY KEY,
      partner_id uuid NOT NULL REFERENCES partners (id),
      username text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
      password_hash text NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX partner_users_partner ON partner_users (partner_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE partner_users`.execute(db);
}
