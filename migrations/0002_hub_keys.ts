import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The hub's own signing keys (receipts, member sessions). The private half never leaves the
  // hub; public halves of active and retiring keys are published at /.well-known/jwks.json.
  await sql`
    CREATE TABLE hub_keys (
      kid text PRIMARY KEY,
      alg text NOT NULL CHECK (alg IN ('EdDSA', 'ES256')),
      public_jwk jsonb NOT NULL,
      private_jwk jsonb NOT NULL,
      status text NOT NULL CHECK (status IN ('active', 'retiring', 'retired')),
      created_at timestamptz NOT NULL DEFAULT now(),
      retired_at timestamptz
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX hub_keys_one_active ON hub_keys ((true)) WHERE status = 'active'`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE hub_keys`.execute(db);
}
