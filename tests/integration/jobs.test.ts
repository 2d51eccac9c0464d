import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { Ledger } from '../../ledger/index.ts';
import {
  type JobDefinition,
  JobTimeoutError,
  manualClock,
  newId,
  queuePrefix,
  startWorkers,
} from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { accrueFor, expectSoundLedger, holdFor, ledgerFor, parties } from '../support/ledger.ts';
import { startChild, stopChildren } from '../support/processes.ts';
import { waitFor } from '../support/wait.ts';

const childPath = fileURLToPath(new URL('../support/jobs-child.ts', import.meta.url));

let hub: TestHub;
let ledger: Ledger;

beforeAll(async () => {
  hub = await createTestHub();
  ledger = ledgerFor(hub);
});
afterEach(async () => {
  await stopChildren();
});
afterAll(async () => {
  await ledger.close();
  await hub.close();
});

/** A `work` process running the hub's own definition of `queue`. */
function workProcess(queue: string, lockDurationMs: number, stalledIntervalMs: number) {
  const child = startChild(
    process.execPath,
    [childPath, queue, String(lockDurationMs), String(stalledIntervalMs)],
    {
      DATABASE_URL: hub.config.databaseUrl,
      REDIS_URL: hub.config.redisUrl,
      REDIS_KEY_PREFIX: hub.config.redisKeyPrefix,
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    },
  );
  return child;
}

/** A member with `points` held until an hour ago: the hold-expiry sweep must void it. */
async function expiredHold(points: number): Promise<{ memberId: string; holdId: string }> {
  const past = manualClock(new Date(Date.now() - 2 * 3_600_000));
  const pastLedger = ledgerFor(hub, past);
  const { partner, member } = parties();
  await accrueFor(pastLedger, partner, member, 1_000);
  const held = await holdFor(pastLedger, partner, member, points, new Date(Date.now() - 3_600_000));
  await pastLedger.close();
  return { memberId: member, holdId: held.holdId };
}

it('a job whose process is killed mid-run runs again in the next worker, which completes it', async () => {
  const { memberId, holdId } = await expiredHold(200);
  expect((await ledger.memberPoints(memberId)).held).toBe(200);
  const queue = new Queue('ledger-expire-holds', {
    connection: hub.services.queueRedis,
    prefix: queuePrefix(hub.config),
  });
  try {
    // The test holds the hold's row, so the sweep stops inside its transaction, mid-run.
    let unlock = () => {};
    const locked = hub.services.db.transaction().execute(async (tx) => {
      await sql`SELECT id FROM ledger_holds WHERE id = ${holdId} FOR UPDATE`.execute(tx);
      await new Promise<void>((resolve) => {
        unlock = resolve;
      });
    });
    const first = workProcess('ledger-expire-holds', 1_000, 500);
    await first.line(/workers started/);
    const killed = await waitFor('the sweep to be running, waiting on the hold', async () => {
      const [active] = await queue.getActive();
      const { rows } = await sql`
        SELECT 1 FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(hub.services.db);
      return active && rows.length > 0 ? active : undefined;
    });
    await first.stop('SIGKILL');
    unlock();
    await locked;
    expect((await ledger.memberPoints(memberId)).held).toBe(200);

    const second = workProcess('ledger-expire-holds', 1_000, 500);
    await second.line(/workers started/);
    await waitFor('the killed job to be picked up again and completed', async () => {
      return (await queue.getJobState(killed.id ?? '')) === 'completed';
    });
    await waitFor('the expired hold to be released', async () => {
      return (await ledger.memberPoints(memberId)).held === 0;
    });
    expect(await ledger.memberPoints(memberId)).toEqual({
      balance: 1_000,
      held: 0,
      available: 1_000,
    });
    await expectSoundLedger(ledger);
  } finally {
    await queue.close();
  }
});

it('a run that never finishes times out and is retried, and the queue runs the next jobs meanwhile', async () => {
  const runs: Array<{ jobId: string | undefined; signal: AbortSignal | undefined }> = [];
  const definition: JobDefinition = {
    queue: `test-hang-${newId().slice(-8)}`,
    schedule: { everyMs: 200 },
    timeoutMs: 300,
    process: async (_services, job, signal) => {
      runs.push({ jobId: job.id, signal });
      // The first run hangs for good and ignores its signal, as a stranded await would.
      if (runs.length === 1) await new Promise(() => {});
      return 'done';
    },
  };
  const workers = await startWorkers(hub.services, [definition], {
    lockDurationMs: 1_000,
    stalledIntervalMs: 500,
  });
  try {
    const queue = workers.queues.get(definition.queue);
    if (!queue) throw new Error('the queue was not started');
    const hung = await waitFor('the first run to start', () => runs[0]);
    const hungJobId = hung.jobId ?? '';

    await waitFor('later scheduled runs to complete while the first hangs', async () => {
      const completed = await queue.getCompleted();
      return completed.filter((j) => j.id !== hungJobId).length >= 2;
    });
    await waitFor('the hung job to be retried and completed', async () => {
      return (await queue.getJobState(hungJobId)) === 'completed';
    });
    const job = await queue.getJob(hungJobId);
    expect(job?.attemptsMade).toBeGreaterThanOrEqual(1);
    expect(job?.failedReason).toMatch(/did not finish within 300 ms/);
    expect(hung.signal?.aborted).toBe(true);
    expect(hung.signal?.reason).toBeInstanceOf(JobTimeoutError);
  } finally {
    await workers.stop();
  }
});
