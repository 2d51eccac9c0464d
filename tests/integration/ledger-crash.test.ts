import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ledger } from '../../ledger/index.ts';
import { newId } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { accrueFor, expectSoundLedger, ledgerFor } from '../support/ledger.ts';
import { waitFor } from '../support/wait.ts';

// A hub process killed with SIGKILL while it writes ledger batches, then started again and
// sent the same requests (same keys, same bodies): every request must end applied exactly
// once, whatever was committed, in flight or queued at the moment of the kill.

const scriptPath = fileURLToPath(new URL('../support/ledger-load.ts', import.meta.url));

type Answer = { entry: string; replayed: boolean };
type Run = { answers: Map<number, Answer>; code: number | null; signal: string | null };

/**
 * Runs the load script; with `killAfter`, sends SIGKILL as soon as that many answers were
 * printed (the rest are then queued, in a batch being written, or not yet sent).
 */
async function runLoad(env: Record<string, string>, killAfter?: number): Promise<Run> {
  const child = spawn(process.execPath, [scriptPath], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const exited = once(child, 'exit');
  const answers = new Map<number, Answer>();
  for await (const line of createInterface({ input: child.stdout })) {
    const match = /^answered (\d+) (\S+) (true|false)$/.exec(line);
    if (!match) {
      stderr += `${line}\n`;
      continue;
    }
    answers.set(Number(match[1]), { entry: match[2] ?? '', replayed: match[3] === 'true' });
    if (killAfter !== undefined && answers.size === killAfter) child.kill('SIGKILL');
  }
  const [code, signal] = (await exited) as [number | null, string | null];
  const killed = killAfter !== undefined && signal === 'SIGKILL';
  if (!killed && code !== 0) throw new Error(`load script failed (${code}, ${signal}): ${stderr}`);
  return { answers, code, signal };
}

/** The second run answers every request the first one answered, with the same answer. */
function expectSameAnswers(first: Run, second: Run): void {
  for (const [i, a] of first.answers) {
    expect({ i, entry: second.answers.get(i)?.entry }).toEqual({ i, entry: a.entry });
    expect(second.answers.get(i)?.replayed).toBe(true);
  }
}

/**
 * Kills the load process after `killAfter` answers, checks it died mid-way (some requests
 * committed, not all), starts it again with the same requests and lets it finish; checks
 * that the answers given before the kill come back identical and replayed, and that exactly
 * the requests not committed at the kill were applied by the second run.
 */
async function killAndRestart(env: Record<string, string>, killAfter: number): Promise<Run> {
  const count = Number(env.LOAD_COUNT);
  const killed = await runLoad(env, killAfter);
  expect(killed.signal).toBe('SIGKILL');
  // A COMMIT the process sent just before it died still completes on the server: count once
  // its sessions are gone.
  await waitFor('the killed process’s sessions to end', async () => {
    const { rows } = await sql`SELECT 1 FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = 'ledger-load'`.execute(
      hub.services.db,
    );
    return rows.length === 0;
  });
  const committedAtKill = await requestsStored(`load-${env.LOAD_MODE}-`);
  expect(committedAtKill).toBeGreaterThanOrEqual(killed.answers.size);
  expect(committedAtKill).toBeLessThan(count);

  const finished = await runLoad(env);
  expect(finished.answers.size).toBe(count);
  expectSameAnswers(killed, finished);
  const fresh = [...finished.answers.values()].filter((a) => !a.replayed);
  expect(fresh).toHaveLength(count - committedAtKill);
  return finished;
}

let hub: TestHub;
let ledger: Ledger;
beforeAll(async () => {
  hub = await createTestHub();
  ledger = ledgerFor(hub);
});
afterAll(async () => {
  await ledger.close();
  await hub.close();
});

async function requestsStored(prefix: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int8 AS n FROM ledger_requests WHERE idempotency_key LIKE ${`${prefix}%`}`.execute(
    hub.services.db,
  );
  return rows[0]?.n ?? 0;
}

describe('a hub process killed mid-write and restarted', () => {
  it('applies every accrual exactly once', { timeout: 60_000 }, async () => {
    const partners = [newId(), newId(), newId()];
    const members = Array.from({ length: 40 }, () => newId());
    const count = 6_000;
    const env = {
      LOAD_DATABASE_URL: hub.config.databaseUrl,
      LOAD_MODE: 'accrue',
      LOAD_PARTNERS: partners.join(','),
      LOAD_MEMBERS: members.join(','),
      LOAD_COUNT: String(count),
      LOAD_CONCURRENCY: '400',
    };

    // 1,150 is not a multiple of the batch size: the kill often lands after a batch committed
    // but before all its callers were answered, as well as with the next batch in flight.
    const finished = await killAndRestart(env, 1_150);
    expect(new Set([...finished.answers.values()].map((a) => a.entry)).size).toBe(count);

    const expected = new Map<string, number>();
    for (let i = 0; i < count; i += 1) {
      const m = members[i % members.length] ?? '';
      expected.set(m, (expected.get(m) ?? 0) + 1 + (i % 9));
    }
    for (const m of members) {
      expect((await ledger.memberPoints(m)).balance).toBe(expected.get(m));
    }
    const entries = await hub.services.db
      .selectFrom('ledger_entries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('kind', '=', 'accrual')
      .where('partner_id', 'in', partners)
      .executeTakeFirstOrThrow();
    expect(Number(entries.n)).toBe(count);
    await expectSoundLedger(ledger);
  });

  it('applies every redemption exactly once and overdraws nobody', {
    timeout: 60_000,
  }, async () => {
    const partner = newId();
    const members = Array.from({ length: 24 }, () => newId());
    await Promise.all(members.map((m) => accrueFor(ledger, partner, m, 100)));
    // 15 redemptions of 10 points per member, who has 100: exactly 10 each can succeed.
    const count = members.length * 15;
    const env = {
      LOAD_DATABASE_URL: hub.config.databaseUrl,
      LOAD_MODE: 'redeem',
      LOAD_PARTNERS: partner,
      LOAD_MEMBERS: members.join(','),
      LOAD_COUNT: String(count),
      LOAD_CONCURRENCY: '16',
    };

    const finished = await killAndRestart(env, 100);
    const answers = [...finished.answers.values()];
    const spent = answers.filter((a) => !a.entry.startsWith('rejected:'));
    expect(spent).toHaveLength(members.length * 10);
    expect(new Set(spent.map((a) => a.entry)).size).toBe(spent.length);
    expect(answers.filter((a) => a.entry === 'rejected:insufficient_points')).toHaveLength(
      members.length * 5,
    );
    for (const m of members) {
      expect(await ledger.memberPoints(m)).toEqual({ balance: 0, held: 0, available: 0 });
    }
    await expectSoundLedger(ledger);
  });
});
