import { type Kysely, sql } from 'kysely';

// Migrations are frozen in time: they import nothing from the application.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE alliance (
      id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
      name text NOT NULL,
      currency char(3) NOT NULL DEFAULT 'CNY',
      time_zone text NOT NULL DEFAULT 'Asia/Shanghai',
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);

  await sql`
    CREATE TABLE partners (
      id uuid PRIMARY KEY,
      code text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]{1,39}$'),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      brand text NOT NULL CHECK (length(brand) BETWEEN 1 AND 200),
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
      settlement_details jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);

  await sql`
    CREATE TABLE stores (
      id uuid PRIMARY KEY,
      partner_id uuid NOT NULL REFERENCES partners (id),
      code text NOT NULL CHECK (length(code) BETWEEN 1 AND 64),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (partner_id, code)
    )`.execute(db);

  await sql`
    CREATE TABLE members (
      id uuid PRIMARY KEY,
      phone text UNIQUE CHECK (phone ~ '^\\+[1-9][0-9]{6,14}$'),
      email text UNIQUE CHECK (email = lower(email) AND position('@' in email) > 1),
      display_name text NOT NULL DEFAULT '' CHECK (length(display_name) <= 100),
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK (phone IS NOT NULL OR email IS NOT NULL OR status = 'closed')
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE members, stores, partners, alliance`.execute(db);
}
