import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Ledger } from '../../ledger/index.ts';
import { manualClock, newId } from '../../platform/index.ts';
import { type ComputeStep, runSettlement } from '../../settlement/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { accrueFor, expectSoundLedger, ledgerFor } from '../support/ledger.ts';
import { csvOf, redeemAt } from '../support/settlement.ts';

const childPath = fileURLToPath(new URL('../support/settlement-crash-child.ts', import.meta.url));
const clock = manualClock(new Date('2026-05-10T02:00:00Z'));
/** Past the cut-off of the local day 2026-05-10 (16:00 UTC) and its grace. */
const after = new Date('2026-05-10T16:05:00Z');
const partners = [newId(), newId(), newId()];
let hub: TestHub;
let ledger: Ledger;

beforeAll(async () => {
  hub = await createTestHub({ clock });
  ledger = ledgerFor(hub, clock);
  for (const [i, issuer] of partners.entries()) {
    const member = newId();
    await accrueFor(ledger, issuer, member, 900);
    for (const acceptor of partners) {
      clock.advanceMs(1000);
      await redeemAt(ledger, acceptor, member, 100 + i * 33);
    }
  }
});
afterAll(async () => {
  await ledger.close();
  await hub.close();
});

/** Runs the job in a child process and kills it (SIGKILL) once it reaches the step. */
async function crashAt(step: ComputeStep): Promise<void> {
  const child = spawn(process.execPath, [childPath, step, after.toISOString()], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: hub.config.databaseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      if (String(chunk).includes(`stopped at ${step}`)) resolve();
      else reject(new Error(`child went past ${step}: ${chunk}`));
    });
    child.once('exit', (code) => reject(new Error(`child exited ${code}: ${stderr}`)));
  });
  child.kill('SIGKILL');
  await exited;
}

async function state() {
  const db = hub.services.db;
  const period = await db.selectFrom('settlement_periods').selectAll().executeTakeFirstOrThrow();
  const lines = await db
    .selectFrom('settlement_lines')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  const csvs = await Promise.all(partners.map((p) => csvOf(db, period.id, p).catch(() => '')));
  return { status: period.status, digest: period.digest, lines: Number(lines.n), csvs };
}

it('a job killed at any step of the computation leaves the period closed; the rerun computes it once, byte for byte as an undisturbed run', async () => {
  for (const step of ['lines', 'checked'] as const) {
    await crashAt(step);
    expect(await state()).toMatchObject({ status: 'closed', digest: null, lines: 0 });
  }
  clock.set(after);
  expect(await runSettlement(hub.services.db, clock)).toEqual({ closed: 0, computed: 1 });
  const first = await state();
  expect(first).toMatchObject({ status: 'computed', lines: 15 });
  // state() reads a failed CSV as '': the comparison below means something only if none failed.
  for (const csv of first.csvs) expect(csv).not.toBe('');
  expect(await runSettlement(hub.services.db, clock)).toEqual({ closed: 0, computed: 0 });

  // The same ledger computed again from scratch gives the same bytes.
  const db = hub.services.db;
  await db.deleteFrom('settlement_positions').execute();
  await db.deleteFrom('settlement_lines').execute();
  await db
    .updateTable('settlement_periods')
    .set({
      status: 'closed',
      computed_at: null,
      digest: null,
      line_count: null,
      hub_fees_minor: null,
    })
    .execute();
  await runSettlement(db, clock);
  expect(await state()).toEqual(first);
  await expectSoundLedger(ledger);
});
