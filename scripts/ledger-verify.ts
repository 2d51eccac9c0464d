/**
 * npm run ledger:verify: checks every invariant of the ledger against the database and prints
 * what is wrong; exits non-zero if anything is. Read-only, safe on a live hub.
 */
import { verifyLedger } from '../ledger/index.ts';
import { loadConfig, openDatabase } from '../platform/index.ts';

const config = loadConfig();
const { db, close } = openDatabase(config.databaseUrl, {
  poolMax: 1,
  appName: 'alliance-hub-verify',
});
try {
  const faults = await verifyLedger(db);
  if (faults.length === 0) {
    console.log(
      'ledger verify: sound (every asset sums to zero, balances match postings, no account below its floor, every entry balanced, lots match balances)',
    );
  } else {
    for (const fault of faults) {
      console.error(`ledger verify: ${fault.check}`);
      for (const row of fault.rows) console.error(`  ${JSON.stringify(row)}`);
    }
    process.exitCode = 1;
  }
} finally {
  await close();
}
