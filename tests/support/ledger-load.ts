/**
 * A hub process under load, for the crash test: it sends a fixed list of ledger requests (the
 * same keys and bodies every time it starts) and prints one line per answered request:
 *
 *   answered <index> <entry id | rejected:<type>> <replayed>
 *
 * then `done`. The test kills it with SIGKILL mid-way and starts it again.
 *
 * Environment: LOAD_DATABASE_URL; LOAD_MODE accrue (through the group-commit writer) or
 * redeem; LOAD_PARTNERS and LOAD_MEMBERS, comma-separated ids; LOAD_COUNT requests;
 * LOAD_CONCURRENCY requests in flight at once.
 */
import { createLedger, type Ledger } from '../../ledger/index.ts';
import { createLogger, isAppError, openDatabase, systemClock } from '../../platform/index.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`ledger-load: ${name} is required`);
  return value;
};

const mode = env('LOAD_MODE');
const partners = env('LOAD_PARTNERS').split(',');
const members = env('LOAD_MEMBERS').split(',');
const count = Number(env('LOAD_COUNT'));
const concurrency = Number(env('LOAD_CONCURRENCY'));
const expiresAt = new Date('2099-01-01T00:00:00Z');

/** Request i of the list: always the same partner, member, points and key. */
function loadRequest(i: number) {
  return {
    partnerId: partners[i % partners.length] ?? '',
    memberId: members[i % members.length] ?? '',
    points: mode === 'accrue' ? 1 + (i % 9) : 10,
    idempotencyKey: `load-${mode}-${i}`,
  };
}

async function send(ledger: Ledger, i: number): Promise<string> {
  const request = loadRequest(i);
  try {
    const answer =
      mode === 'accrue'
        ? await ledger.accrue({ ...request, expiresAt })
        : await ledger.redeem(request);
    return `${answer.entryId} ${answer.replayed}`;
  } catch (error) {
    if (isAppError(error) && error.type !== 'unavailable' && error.type !== 'overloaded') {
      return `rejected:${error.type} ${String(error.extra.replayed === true)}`;
    }
    throw error;
  }
}

const handle = openDatabase(env('LOAD_DATABASE_URL'), { poolMax: 10, appName: 'ledger-load' });
const ledger = createLedger(
  { db: handle.db, clock: systemClock, logger: createLogger('error') },
  { batchSizeMax: 100, lingerMs: 2, batchesInFlightMax: 2 },
);
let next = 0;
const worker = async () => {
  for (let i = next++; i < count; i = next++) {
    process.stdout.write(`answered ${i} ${await send(ledger, i)}\n`);
  }
};
await Promise.all(Array.from({ length: concurrency }, worker));
await ledger.close();
await handle.close();
process.stdout.write('done\n');
