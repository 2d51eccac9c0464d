/**
 * The one process entry. Roles:
 *   serve  the HTTP gateway
 *   work   the BullMQ workers
 *   all    both, for a single machine
 * Usage: node main.ts [serve|work|all]
 */

import cluster from 'node:cluster';
import { openDomains } from './domains.ts';
import { type RunningGateway, startGateway } from './gateway/index.ts';
import { jobDefinitions } from './jobs.ts';
import {
  ConfigError,
  createLogger,
  joinCluster,
  loadConfig,
  openServices,
  pendingMigrations,
  type RunningWorkers,
  runPrimary,
  type Services,
  StartupError,
  startWorkers,
} from './platform/index.ts';

type Role = 'serve' | 'work' | 'all';

function parseRole(arg: string | undefined): Role {
  const role = arg ?? 'all';
  if (role === 'serve' || role === 'work' || role === 'all') return role;
  throw new ConfigError(`unknown role "${role}": use serve, work or all`);
}

async function run(): Promise<void> {
  const role = parseRole(process.argv[2]);
  const config = loadConfig();
  if (config.processes.count > 1 && cluster.isPrimary) {
    runPrimary(config, createLogger(config.logLevel), role);
    return;
  }
  const inCluster = joinCluster();
  const services = await openServices(config);
  const pending = await pendingMigrations(services.db);
  if (pending.length > 0) {
    await services.close();
    throw new StartupError(
      `the database has pending migrations (${pending.join(', ')}): run npm run migrate`,
    );
  }

  const domains = await openDomains(services);
  let gateway: RunningGateway | undefined;
  let workers: RunningWorkers | undefined;
  if (role !== 'work') gateway = await startGateway(services, domains);
  if (role !== 'serve') workers = await startWorkers(services, jobDefinitions(domains));
  if (cluster.isWorker) {
    services.logger.info({ role, index: config.processes.index }, 'hub process started');
    inCluster.listening(gateway?.url);
  } else services.logger.info({ role, url: gateway?.url }, 'hub started');

  installShutdown(services, async () => {
    await gateway?.stop();
    await workers?.stop();
    // Accruals already queued are written before the pools close.
    await domains.ledger.close();
  });
}

function installShutdown(services: Services, stopWork: () => Promise<void>): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // /readyz answers 503 from now on, while requests in flight finish.
    services.lifecycle.draining = true;
    services.logger.info({ signal }, 'shutting down: finishing work in flight');
    const deadline = setTimeout(() => {
      services.logger.error('shutdown grace period ran out; exiting');
      process.exit(1);
    }, services.config.shutdownGraceMs);
    deadline.unref();
    await stopWork();
    await services.close();
    services.logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

run().catch((error: unknown) => {
  // Expected start-up failures are one line for the operator, not a stack trace.
  if (error instanceof ConfigError || error instanceof StartupError) {
    process.stderr.write(`alliance-hub: ${error.message}\n`);
  } else {
    process.stderr.write(
      `alliance-hub: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
});
