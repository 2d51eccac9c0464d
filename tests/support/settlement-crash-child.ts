/**
 * A settlement run that stops dead in the middle: it runs the job against DATABASE_URL with
 * the clock at argv[3], and when the computation reaches the step named in argv[2] it says so
 * on stdout and waits, its transaction open, for the test to kill it with SIGKILL.
 */
import { manualClock, openDatabase } from '../../platform/index.ts';
import { type ComputeStep, runSettlement } from '../../settlement/index.ts';

const [stopAt, at] = [process.argv[2] as ComputeStep, process.argv[3] ?? ''];
const handle = openDatabase(process.env.DATABASE_URL ?? '', { poolMax: 2 });
await runSettlement(handle.db, manualClock(new Date(at)), {
  afterStep: async (step) => {
    if (step !== stopAt) return;
    process.stdout.write(`stopped at ${step}\n`);
    await new Promise(() => setInterval(() => {}, 60_000));
  },
});
process.stdout.write('finished\n');
await handle.close();
