import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../gateway/index.ts';
import { issuePayCode } from '../../members/index.ts';
import { docsPartnerId } from '../../scripts/demo-keys.ts';
import { counterFixture } from '../support/counter.ts';
import { type DemoHub, freePort, startDemoHub } from '../support/demo-hub.ts';
import { startChild, stopChildren } from '../support/processes.ts';

/**
 * sdk/README.md's examples, each run as written (the package name pointed at this checkout's
 * sdk/), against a listening hub seeded with the demo alliance, as the page says.
 */
const read = (path: string) => readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8');
const readme = read('../../sdk/README.md');
const sdkUrl = pathToFileURL(fileURLToPath(new URL('../../sdk/index.ts', import.meta.url))).href;
const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) =>
  (m[1] ?? '').replaceAll("'@alliance-hub/partner-sdk'", `'${sdkUrl}'`),
);
const pem = /```pem\n([\s\S]*?)```/.exec(read('../../docs/signing.md'))?.[1] ?? '';

let hub: DemoHub;
let gateway: RunningGateway;
let dir: string;

beforeAll(async () => {
  hub = await startDemoHub();
  gateway = hub.gateway;
  dir = mkdtempSync(join(tmpdir(), 'sdk-readme-'));
  writeFileSync(join(dir, 'partner-key.pem'), pem);
});
afterAll(async () => {
  await stopChildren();
  await hub.close();
  rmSync(dir, { recursive: true, force: true });
});

function file(n: number): string {
  const path = join(dir, `example-${n}.mts`);
  writeFileSync(path, examples[n] ?? '');
  return path;
}

async function run(n: number, env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [file(n)], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HUB_URL: gateway.url, ...env },
    timeout: 60_000,
  });
  return stdout;
}

describe('sdk/README.md', () => {
  it('has four examples: the till, errors, receipts, webhooks', () => {
    expect(examples).toHaveLength(4);
  });

  it('runs the till: earns, then pays with points', async () => {
    const member = await hub.services.db
      .selectFrom('members')
      .select('id')
      .where('phone', '=', '+8613800000001')
      .executeTakeFirstOrThrow();
    const { code } = await issuePayCode(hub.services, member.id);
    const out = await run(0, { PAY_CODE: code });
    expect(out).toMatch(/^earned \d+ points$/m);
    expect(out).toMatch(/^paid 100 points \(\d+ fen\) for POS-\d+-pay$/m);
  });

  it('shows a refusal as a typed error', async () => {
    expect(await run(1)).toMatch(/^refused: 4\d\d \w+: .+$/m);
  });

  it('verifies a receipt', async () => {
    expect(await run(2)).toMatch(/^receipt for \S+, issued \d{4}-/m);
  });

  it('receives and verifies a webhook', async () => {
    const port = await freePort();
    const child = startChild(
      process.execPath,
      [file(3)],
      { HUB_URL: gateway.url, PORT: String(port) },
      dir,
    );
    await child.line(/listening on/);
    const fixture = await counterFixture(hub, docsPartnerId, { members: 1 });
    const holdId = await fixture.authorise(5);
    await fixture.counter.void(docsPartnerId, holdId, undefined);
    await fixture.ledger.close();
    await child.line(new RegExp(`event hold\\.voided: .*"holdId":"${holdId}"`));
  });
});
