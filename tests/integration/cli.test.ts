import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import { listenForPartnerChanges, type PartnerChangeListener } from '../../partners/index.ts';
import { openServices, type Services } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { newKeyPair, newTestPartner, signedFetch } from '../support/partners.ts';

const run = promisify(execFile);
const script = (name: string) =>
  fileURLToPath(new URL(`../../scripts/${name}.ts`, import.meta.url));

/** A running gateway process of its own: its key cache, told of changes over Redis. */
let hub: TestHub;
let gateway: Services;
let listener: PartnerChangeListener;
const heard: string[] = [];
let onHeard: () => void = () => {};
beforeAll(async () => {
  hub = await createTestHub();
  gateway = await openServices(hub.config, { logger: hub.services.logger });
  listener = await listenForPartnerChanges(gateway, (partnerId) => {
    heard.push(partnerId);
    onHeard();
  });
});
afterAll(async () => {
  await listener.close();
  await gateway.close();
  await hub.close();
});

/** Resolves when the gateway hears of a change to the partner; fails well before its cache expires. */
function hearOf(partnerId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the gateway was not told')), 5_000);
    onHeard = () => {
      if (heard.includes(partnerId)) {
        clearTimeout(timer);
        resolve();
      }
    };
    onHeard();
  });
}

async function cli(
  name: string,
  args: string[],
): Promise<{ stdout: string; stderr: string; code: number }> {
  const env = {
    PATH: process.env.PATH ?? '',
    DATABASE_URL: hub.config.databaseUrl,
    REDIS_URL: hub.config.redisUrl,
    REDIS_KEY_PREFIX: hub.config.redisKeyPrefix,
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
    expect(added.stdout).toBe(
      'partner: key pos-1 (EdDSA) is active\npartner: running gateways were told at once (key pos-1 added)\n',
    );
    const bad = await cli('partner', ['onboard', '--code', 'X']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^partner: invalid input \(code .*\)\n$/);
  });

  it("revokes a key that a running gateway's cache drops at once", async () => {
    const { partner, key } = await newTestPartner(hub);
    const app = createApp(gateway);
    const me = () => signedFetch(hub, app, key, { method: 'GET', path: '/v1/partner/me' });
    expect((await me()).status).toBe(200); // the gateway now holds the key in memory

    const told = hearOf(partner.id);
    const revoked = await cli('partner', [
      'revoke-key',
      '--partner',
      partner.code,
      '--kid',
      key.kid,
    ]);
    expect([revoked.code, revoked.stdout]).toEqual([
      0,
      `partner: key ${key.kid} is revoked\npartner: running gateways were told at once (key ${key.kid} revoked)\n`,
    ]);
    await told;
    expect((await me()).status).toBe(401);
  });
});
