/**
 * npm run seed: the demo alliance, created once (running it again changes nothing), then the
 * settlement of every period that is over, as the work role's job would do it.
 */
import { openDomains } from '../domains.ts';
import { createLogger, loadConfig, openServices } from '../platform/index.ts';
import { runSettlement } from '../settlement/index.ts';
import { seedDemoAlliance } from './demo-alliance.ts';
import { seedDemoSignIns } from './demo-sign-ins.ts';

const config = loadConfig();
const services = await openServices(
  { ...config, databasePoolMax: 4 },
  { logger: createLogger('warn') },
);
const domains = await openDomains(services);
try {
  const counts = await seedDemoAlliance(services, domains);
  console.log(`seed: demo alliance has ${counts.partners} partners and ${counts.members} members`);
  const settled = await runSettlement(services.db, services.clock);
  await seedDemoSignIns(services);
  console.log(
    `seed: settlement closed ${settled.closed} and computed ${settled.computed} period(s)`,
  );
} finally {
  await domains.ledger.close();
  await services.close();
}
