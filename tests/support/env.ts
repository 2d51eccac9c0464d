import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The URLs of the services that scripts/services.sh started, unless the environment has its own. */
export function loadServicesEnv(): void {
  const file = fileURLToPath(new URL('../../.data/services.env', import.meta.url));
  if (existsSync(file)) process.loadEnvFile(file);
}

export function databaseUrlFor(baseUrl: string, database: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
