import { type Kysely, sql } from 'kysely';

// The double-entry ledger. Frozen in time: imports nothing from the application.
//
// Journal tables (entries, postings, requests, lot consumptions) are append-only, enforced by
// triggers. Mutable state (balances, lot remainders, holds) changes only in the transaction
// that appends the journal rows explaining the change.

// The accrual hot path writes postings, lots and request rows by the thousand per batch; their
// references to entries and accounts are not foreign keys, because per-row referential checks
// cost as much as the inserts themselves. Instead the postings trigger refuses postings to
// unknown accounts, and verify (npm run ledger:verify) reports any orphan row.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE ledger_accounts (
      id uuid PRIMARY KEY,
      asset text NOT NULL CHECK (asset ~ '^[A-Z]{3}$'),
      owner_type text NOT NULL CHECK (owner_type IN ('member', 'partner', 'hub')),
      owner_id uuid NOT NULL,
      kind text NOT NULL CHECK (kind ~ '^[a-z_]{3,40}$'),
      floor bigint,
      balance bigint NOT NULL DEFAULT 0,
      held bigint NOT NULL DEFAULT 0 CHECK (held >= 0),
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (owner_type, owner_id, kind, asset),
      -- The last guard against overdraft: the application checks first, under a row lock.
      CONSTRAINT ledger_accounts_floor CHECK (floor IS NULL OR balance - held >= floor)
    ) WITH (fillfactor = 50)`.execute(db);

  await sql`
    CREATE TABLE ledger_entries (
      id uuid PRIMARY KEY,
      kind text NOT NULL CHECK (kind ~ '^[a-z_]{3,40}$'),
      booked_at timestamptz NOT NULL,
      partner_id uuid,
      member_id uuid,
      reverses_entry_id uuid REFERENCES ledger_entries (id),
      metadata jsonb NOT NULL DEFAULT '{}'
    )`.execute(db);
  // An entry is reversed at most once. Partial, because almost no entry reverses another.
  await sql`
    CREATE UNIQUE INDEX ledger_entries_reverses ON ledger_entries (reverses_entry_id)
    WHERE reverses_entry_id IS NOT NULL`.execute(db);
  // Entries are appended in time order, so a BRIN index serves time ranges for a fraction of
  // a B-tree's cost per insert.
  await sql`CREATE INDEX ledger_entries_booked_at ON ledger_entries USING brin (booked_at)`.execute(
    db,
  );

  await sql`
    CREATE TABLE ledger_postings (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      entry_id uuid NOT NULL,
      account_id uuid NOT NULL,
      asset text NOT NULL,
      amount bigint NOT NULL CHECK (amount <> 0),
      booked_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX ledger_postings_account ON ledger_postings (account_id, booked_at, id)`.execute(
    db,
  );
  await sql`CREATE INDEX ledger_postings_entry ON ledger_postings (entry_id)`.execute(db);

  // Idempotency: the unique key is the final guard against applying a retried request twice.
  // A rejected request is stored too (entry_id null), so its retry gets the same rejection.
  await sql`
    CREATE TABLE ledger_requests (
      owner_id uuid NOT NULL,
      -- Byte order (COLLATE "C"): equality is the same as in any deterministic collation, and
      -- the unique index, written once per accrual, compares keys with memcmp, not strcoll.
      idempotency_key text COLLATE "C" NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
      request_hash text NOT NULL,
      entry_id uuid,
      outcome jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (owner_id, idempotency_key)
    )`.execute(db);

  await sql`
    CREATE TABLE ledger_lots (
      id uuid PRIMARY KEY,
      account_id uuid NOT NULL,
      member_id uuid NOT NULL,
      issuer_partner_id uuid NOT NULL,
      entry_id uuid NOT NULL,
      amount bigint NOT NULL CHECK (amount > 0),
      remaining bigint NOT NULL,
      held bigint NOT NULL DEFAULT 0,
      issued_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      CHECK (remaining >= 0 AND remaining <= amount AND held >= 0 AND held <= remaining)
    )`.execute(db);
  await sql`
    CREATE INDEX ledger_lots_fifo ON ledger_lots (account_id, issued_at, id) WHERE remaining > 0
  `.execute(db);
  await sql`CREATE INDEX ledger_lots_expiry ON ledger_lots (expires_at) WHERE remaining > held`.execute(
    db,
  );

  // Which issuer's points each redemption (or expiry, or claw-back) took: settlement reads this.
  await sql`
    CREATE TABLE ledger_lot_movements (
      entry_id uuid NOT NULL REFERENCES ledger_entries (id),
      lot_id uuid NOT NULL REFERENCES ledger_lots (id),
      issuer_partner_id uuid NOT NULL,
      points bigint NOT NULL CHECK (points <> 0),
      PRIMARY KEY (entry_id, lot_id)
    )`.execute(db);
  await sql`CREATE INDEX ledger_lot_movements_lot ON ledger_lot_movements (lot_id)`.execute(db);

  await sql`
    CREATE TABLE ledger_holds (
      id uuid PRIMARY KEY,
      account_id uuid NOT NULL REFERENCES ledger_accounts (id),
      member_id uuid NOT NULL,
      partner_id uuid NOT NULL,
      amount bigint NOT NULL CHECK (amount > 0),
      status text NOT NULL CHECK (status IN ('active', 'captured', 'voided', 'expired')),
      captured_amount bigint NOT NULL DEFAULT 0 CHECK (captured_amount >= 0),
      capture_entry_id uuid REFERENCES ledger_entries (id),
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      finished_at timestamptz,
      metadata jsonb NOT NULL DEFAULT '{}',
      CHECK (captured_amount <= amount),
      CHECK ((status = 'active') = (finished_at IS NULL))
    )`.execute(db);
  await sql`CREATE INDEX ledger_holds_due ON ledger_holds (expires_at) WHERE status = 'active'`.execute(
    db,
  );

  await sql`
    CREATE TABLE ledger_hold_lots (
      hold_id uuid NOT NULL REFERENCES ledger_holds (id),
      lot_id uuid NOT NULL REFERENCES ledger_lots (id),
      points bigint NOT NULL CHECK (points > 0),
      PRIMARY KEY (hold_id, lot_id)
    )`.execute(db);

  // Append-only journal: no UPDATE, DELETE or TRUNCATE, whoever asks.
  await sql`
    CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'ledger table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
    END $$`.execute(db);
  for (const table of [
    'ledger_entries',
    'ledger_postings',
    'ledger_requests',
    'ledger_lot_movements',
  ]) {
    await sql`
      CREATE TRIGGER ${sql.raw(`${table}_append_only`)}
      BEFORE UPDATE OR DELETE OR TRUNCATE ON ${sql.table(table)}
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`.execute(db);
  }

  // Every INSERT into postings must carry whole entries: per entry and asset the amounts sum to
  // zero, else the statement fails. The same statement-level trigger keeps balances: one UPDATE
  // per account per statement, so a hot partner account is written once per batch.
  await sql`
    CREATE FUNCTION ledger_apply_postings() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      unbalanced uuid;
      expected integer;
      applied integer;
    BEGIN
      SELECT entry_id INTO unbalanced FROM new_postings
        GROUP BY entry_id, asset HAVING sum(amount) <> 0 LIMIT 1;
      IF unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'ledger entry % is not balanced', unbalanced USING ERRCODE = 'check_violation';
      END IF;
      WITH deltas AS (
        SELECT account_id, asset, sum(amount) AS delta FROM new_postings GROUP BY account_id, asset
      ), applied_rows AS (
        UPDATE ledger_accounts a SET balance = a.balance + d.delta FROM deltas d
        WHERE a.id = d.account_id AND a.asset = d.asset RETURNING a.id
      )
      SELECT (SELECT count(*) FROM deltas), (SELECT count(*) FROM applied_rows) INTO expected, applied;
      IF applied <> expected THEN
        RAISE EXCEPTION 'posting to an unknown account or in another asset than its account'
          USING ERRCODE = 'foreign_key_violation';
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER ledger_postings_apply
    AFTER INSERT ON ledger_postings REFERENCING NEW TABLE AS new_postings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_postings()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE ledger_hold_lots, ledger_holds, ledger_lot_movements, ledger_lots, ledger_requests,
      ledger_postings, ledger_entries, ledger_accounts`.execute(db);
  await sql`DROP FUNCTION ledger_apply_postings(), ledger_refuse_change()`.execute(db);
}
