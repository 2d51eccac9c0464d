/**
 * npm run migrate            apply every pending migration
 * npm run migrate -- down    undo the latest migration
 * npm run migrate -- status  list pending migrations
 */
import {
  loadConfig,
  migrateDownOne,
  migrateToLatest,
  openDatabase,
  pendingMigrations,
} from '../platform/index.ts';

const command = process.argv[2] ?? 'up';
const config = loadConfig();
const { db, close } = openDatabase(config.databaseUrl, {
  poolMax: 2,
  appName: 'alliance-hub-migrate',
});
try {
  if (command === 'up') {
    const done = await migrateToLatest(db);
    console.log(
      done.length === 0 ? 'migrations: up to date' : done.map((d) => `migrations: ${d}`).join('\n'),
    );
  } else if (command === 'down') {
    const done = await migrateDownOne(db);
    console.log(
      done.length === 0
        ? 'migrations: nothing to undo'
        : done.map((d) => `migrations: ${d}`).join('\n'),
    );
  } else if (command === 'status') {
    const pending = await pendingMigrations(db);
    console.log(
      pending.length === 0 ? 'migrations: up to date' : `migrations pending: ${pending.join(', ')}`,
    );
  } else {
    throw new Error(`unknown command "${command}": use up, down or status`);
  }
} catch (error) {
  console.error(`migrations: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await close();
}
