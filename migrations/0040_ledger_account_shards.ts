import { type Kysely, sql } from 'kysely';

// Hot accounts split into shards. Every accrual batch credits members and debits its issuers'
// partner_issued accounts, and a batch holds those partner rows locked until it commits: with
// one row per issuer, concurrent batches wrote one after another. Each batch in flight now
// debits a shard of its own, so batches run side by side. An owner's balance of a kind is the
// sum over its shards; every other account keeps the single shard 0.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE ledger_accounts ADD COLUMN shard smallint NOT NULL DEFAULT 0 CHECK (shard BETWEEN 0 AND 63)`.execute(
    db,
  );
  await sql`
    ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_owner_type_owner_id_kind_asset_key,
      ADD CONSTRAINT ledger_accounts_owner_kind_asset_shard UNIQUE (owner_type, owner_id, kind, asset, shard)`.execute(
    db,
  );
}

// Going back refuses (a unique violation) once an issuer has postings on more than one shard:
// those accounts cannot be merged without rewriting the journal.
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_owner_kind_asset_shard,
      ADD CONSTRAINT ledger_accounts_owner_type_owner_id_kind_asset_key UNIQUE (owner_type, owner_id, kind, asset)`.execute(
    db,
  );
  await sql`ALTER TABLE ledger_accounts DROP COLUMN shard`.execute(db);
}
