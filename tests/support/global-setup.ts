import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { loadConfig, migrateToLatest, openDatabase } from '../../platform/index.ts';
import { databaseUrlFor, loadServicesEnv } from './env.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
    testRunId: string;
  }
}

const staleAfterMs = 6 * 60 * 60 * 1000;

/**
 * Builds one migrated template database per run; every test file clones it (CREATE DATABASE
 * ... TEMPLATE), which takes milliseconds, and drops its clone when done.
 */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  loadServicesEnv();
  const config = loadConfig({ ...process.env, NODE_ENV: 'test' });
  const runId = `hubt_${Date.now().toString(36)}`;
  const template = `${runId}_template`;
  const admin = postgres(databaseUrlFor(config.databaseUrl, 'postgres'), {
    max: 1,
    onnotice: () => {},
  });

  await dropStaleDatabases(admin);
  await admin.unsafe(`CREATE DATABASE ${template}`);
  const handle = openDatabase(databaseUrlFor(config.databaseUrl, template), { poolMax: 1 });
  try {
    await migrateToLatest(handle.db);
  } finally {
    await handle.close();
  }
  project.provide('templateDatabase', template);
  project.provide('testRunId', runId);

  return async () => {
    const rows = await admin`SELECT datname FROM pg_database WHERE datname LIKE ${`${runId}%`}`;
    for (const row of rows)
      await admin.unsafe(`DROP DATABASE IF EXISTS ${row.datname} WITH (FORCE)`);
    await admin.end();
  };
}

/** Databases left by a run that was killed before its teardown. */
async function dropStaleDatabases(admin: postgres.Sql): Promise<void> {
  const rows = await admin`SELECT datname FROM pg_database WHERE datname LIKE 'hubt\\_%'`;
  for (const row of rows) {
    const stamp = Number.parseInt(String(row.datname).split('_')[1] ?? '', 36);
    if (Number.isFinite(stamp) && Date.now() - stamp > staleAfterMs) {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${row.datname} WITH (FORCE)`);
    }
  }
}
