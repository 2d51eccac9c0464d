/** npm run seed: the demo alliance, created once; running it again changes nothing. */
import { loadConfig, openDatabase } from '../platform/index.ts';
import { seedDemoAlliance } from './demo-alliance.ts';

const config = loadConfig();
const { db, close } = openDatabase(config.databaseUrl, {
  poolMax: 2,
  appName: 'alliance-hub-seed',
});
try {
  const counts = await seedDemoAlliance(db);
  console.log(`seed: demo alliance has ${counts.partners} partners and ${counts.members} members`);
} finally {
  await close();
}
