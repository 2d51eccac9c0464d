import { type Kysely, sql } from 'kysely';

// Messages to members as the development sender delivers them (sign-in codes), and member
// segments as the segment job last computed them.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE member_outbox (
      id uuid PRIMARY KEY,
      member_id uuid REFERENCES members (id),
      channel text NOT NULL CHECK (channel IN ('sms', 'email')),
      recipient text NOT NULL,
      subject text NOT NULL,
      body text NOT NULL,
      created_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX member_outbox_recent ON member_outbox (created_at DESC)`.execute(db);

  await sql`
    CREATE TABLE segment_runs (
      id uuid PRIMARY KEY,
      computed_at timestamptz NOT NULL,
      counts jsonb NOT NULL
    )`.execute(db);

  // The latest run only: a run replaces the previous membership of every segment at once.
  await sql`
    CREATE TABLE member_segments (
      member_id uuid NOT NULL REFERENCES members (id),
      segment text NOT NULL CHECK (segment IN ('new', 'active', 'dormant', 'super_user')),
      run_id uuid NOT NULL REFERENCES segment_runs (id),
      last_activity_at timestamptz,
      spend_12m_minor bigint NOT NULL,
      PRIMARY KEY (segment, member_id)
    )`.execute(db);
  await sql`CREATE INDEX member_segments_member ON member_segments (member_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE member_segments, segment_runs, member_outbox`.execute(db);
}
