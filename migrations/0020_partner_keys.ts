import { type Kysely, sql } from 'kysely';

// Migrations are frozen in time: they import nothing from the application.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Public halves only: the hub never holds a partner's private key. The algorithm is stored
  // with the key so that verification pins it and never takes it from the request.
  await sql`
    CREATE TABLE partner_keys (
      partner_id uuid NOT NULL REFERENCES partners (id),
      kid text NOT NULL CHECK (kid ~ '^[A-Za-z0-9._-]{1,64}$'),
      alg text NOT NULL CHECK (alg IN ('EdDSA', 'ES256')),
      public_jwk jsonb NOT NULL CHECK (NOT public_jwk ? 'd'),
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz,
      PRIMARY KEY (partner_id, kid),
      CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
    )`.execute(db);

  // NULL means the hub's default limit.
  await sql`
    ALTER TABLE partners
      ADD COLUMN rate_limit_per_minute integer
        CHECK (rate_limit_per_minute BETWEEN 1 AND 1000000)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE partners DROP COLUMN rate_limit_per_minute`.execute(db);
  await sql`DROP TABLE partner_keys`.execute(db);
}
