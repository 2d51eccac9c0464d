import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { FileMigrationProvider, type MigrationResultSet, Migrator } from 'kysely/migration';

const migrationFolder = fileURLToPath(new URL('../migrations', import.meta.url));

// biome-ignore lint/suspicious/noExplicitAny: the migrator works on any schema
function migratorFor(db: Kysely<any>): Migrator {
  return new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder }),
    // Migrations are numbered by the area that adds them (00N0 blocks), so a database that
    // already ran a later block still takes an earlier block's new migration.
    allowUnorderedMigrations: true,
  });
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

function unwrap(result: MigrationResultSet): string[] {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    const reason = result.error instanceof Error ? result.error.message : String(result.error);
    throw new MigrationError(`migration ${failed} failed: ${reason}`);
  }
  return (result.results ?? []).map((r) => `${r.direction.toLowerCase()} ${r.migrationName}`);
}

// biome-ignore lint/suspicious/noExplicitAny: the migrator works on any schema
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  return unwrap(await migratorFor(db).migrateToLatest());
}

// biome-ignore lint/suspicious/noExplicitAny: the migrator works on any schema
export async function migrateDownOne(db: Kysely<any>): Promise<string[]> {
  return unwrap(await migratorFor(db).migrateDown());
}

/** Names of migrations present in the code but not yet applied to the database. */
// biome-ignore lint/suspicious/noExplicitAny: the migrator works on any schema
export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  const all = await migratorFor(db).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
