import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { newKeyPair } from '../support/partners.ts';

const run = promisify(execFile);
const script = (name: string) =>
  fileURLToPath(new URL(`../../scripts/${name}.ts`, import.meta.url));

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(async () => {
  await hub.close();
});

async function cli(
  name: string,
  args: string[],
): Promise<{ stdout: string; stderr: string; code: number }> {
  const env = {
    PATH: process.env.PATH ?? '',
    DATABASE_URL: hub.config.databaseUrl,
    REDIS_URL: hub.config.redisUrl,
  };
  try {
    const { stdout, stderr } = await run(process.execPath, [script(name), ...args], { env });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

describe('operator CLIs', () => {
  it('creates a staff member whose printed token opens the admin API', async () => {
    const created = await cli('staff', ['create', '--name', 'alice', '--role', 'admin']);
    expect(created.code).toBe(0);
    const token = created.stdout.trim().split('\n').at(-1) ?? '';
    expect(token).toMatch(/^hst_/);
    const res = await createApp(hub.services).request('/v1/admin/partners', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const again = await cli('staff', ['create', '--name', 'alice', '--role', 'admin']);
    expect([again.code, again.stderr.trim()]).toEqual([
      1,
      'staff: A staff member "alice" already exists.',
    ]);
  });

  it('onboards a partner and registers its key, refusing bad input in one line', async () => {
    const onboarded = await cli('partner', [
      'onboard',
      '--code',
      'cli-tea',
      '--name',
      'CLI Tea Co.',
      '--brand',
      'CLI Tea',
      '--bank-account-name',
      'CLI Tea Co.',
      '--bank-account-number',
      '6222021234567890',
    ]);
    expect(onboarded.stdout).toMatch(/^partner: onboarded cli-tea with id [0-9a-f-]{36}\n$/);
    const { publicJwk } = await newKeyPair('EdDSA', 'pos-1');
    const added = await cli('partner', [
      'add-key',
      '--partner',
      'cli-tea',
      '--jwk',
      JSON.stringify(publicJwk),
    ]);
    expect(added.stdout).toBe('partner: key pos-1 (EdDSA) is active\n');
    const bad = await cli('partner', ['onboard', '--code', 'X']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^partner: invalid input \(code .*\)\n$/);
  });
});
