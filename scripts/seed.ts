/** npm run seed: the demo alliance, created once; running it again changes nothing. */
import { createLedger } from '../ledger/index.ts';
import { createLogger, loadConfig, openServices } from '../platform/index.ts';
import { seedDemoAlliance } from './demo-alliance.ts';

const config = loadConfig();
const services = await openServices(
  { ...config, databasePoolMax: 4 },
  { logger: createLogger('warn') },
);
const ledger = createLedger(services);
try {
  const counts = await seedDemoAlliance(services, ledger);
  console.log(`seed: demo alliance has ${counts.partners} partners and ${counts.members} members`);
} finally {
  await ledger.close();
  await services.close();
}
