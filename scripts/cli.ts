import { type Config, type Db, isAppError, loadConfig, openDatabase } from '../platform/index.ts';

/**
 * What the operator CLIs share: one database handle for the command, and failures printed as
 * one line (an AppError's detail and its fields) with a non-zero exit.
 */
export async function runCli(
  name: string,
  command: (db: Db, config: Config) => Promise<void>,
): Promise<void> {
  const config = loadConfig();
  const { db, close } = openDatabase(config.databaseUrl, {
    poolMax: 2,
    appName: `alliance-hub-${name}`,
  });
  try {
    await command(db, config);
  } catch (error) {
    console.error(`${name}: ${oneLine(error)}`);
    process.exitCode = 1;
  } finally {
    await close();
  }
}

function oneLine(error: unknown): string {
  if (isAppError(error)) {
    const fields = error.fields.map((f) => `${f.field} ${f.reason}`).join('; ');
    return fields ? `${error.message} (${fields})` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Thrown for a command line that cannot run; printed as is. */
export class UsageError extends Error {
  override name = 'UsageError';
}
