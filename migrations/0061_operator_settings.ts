import { type Kysely, sql } from 'kysely';

// Growth from what members do besides buying (JD's 京享值 from logins and reviews, check-in
// rewards): partners report check-ins, reviews and logins; how much each is worth and how many
// count per member per day are the alliance's settings, never the partner's to choose.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE growth_events DROP CONSTRAINT growth_events_kind_check`.execute(db);
  await sql`ALTER TABLE growth_events ADD CONSTRAINT growth_events_kind_check
    CHECK (kind IN ('purchase', 'refund', 'check_in', 'review', 'login', 'other'))`.execute(db);
  await sql`
    ALTER TABLE membership_settings ADD COLUMN activity_growth jsonb NOT NULL DEFAULT
      '{"check_in": {"amount": 100, "dailyCap": 1}, "review": {"amount": 500, "dailyCap": 3}, "login": {"amount": 10, "dailyCap": 1}}'`.execute(
    db,
  );
  // Counting a member's activities of one kind today is one index range.
  await sql`CREATE INDEX growth_events_activity ON growth_events (member_id, kind, occurred_at)
    WHERE kind IN ('check_in', 'review', 'login')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX growth_events_activity`.execute(db);
  await sql`ALTER TABLE membership_settings DROP COLUMN activity_growth`.execute(db);
  // Growth already earned by logins is not thrown away to go back: refused instead.
  await sql`
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM growth_events WHERE kind = 'login') THEN
        RAISE EXCEPTION 'growth_events holds logins: 0061 cannot be undone';
      END IF;
    END $$`.execute(db);
  await sql`ALTER TABLE growth_events DROP CONSTRAINT growth_events_kind_check`.execute(db);
  await sql`ALTER TABLE growth_events ADD CONSTRAINT growth_events_kind_check
    CHECK (kind IN ('purchase', 'refund', 'check_in', 'review', 'other'))`.execute(db);
}
