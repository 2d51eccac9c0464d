/**
 * A `work` process for the job tests: the hub's own job definitions for the queues named in
 * argv[2] (comma-separated), with BullMQ's lock and stalled-check intervals from argv[3] and
 * argv[4] (ms), against DATABASE_URL, REDIS_URL and REDIS_KEY_PREFIX. It says "workers started"
 * on stdout once running; the test ends it (SIGKILL, or SIGTERM when done).
 */
import { openDomains } from '../../domains.ts';
import { jobDefinitions } from '../../jobs.ts';
import { loadConfig, openServices, startWorkers } from '../../platform/index.ts';

const queues = (process.argv[2] ?? '').split(',');
const services = await openServices(loadConfig());
const definitions = jobDefinitions(await openDomains(services)).filter((d) =>
  queues.includes(d.queue),
);
if (definitions.length !== queues.length) throw new Error(`unknown queue in ${process.argv[2]}`);
await startWorkers(services, definitions, {
  lockDurationMs: Number(process.argv[3]),
  stalledIntervalMs: Number(process.argv[4]),
});
process.stdout.write('workers started\n');
