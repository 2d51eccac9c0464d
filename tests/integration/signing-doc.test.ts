import { execFile } from 'node:child_process';
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { importPKCS8 } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDomains } from '../../domains.ts';
import { createApp, type RunningGateway, startGateway } from '../../gateway/index.ts';
import { createLedger } from '../../ledger/index.ts';
import { findMemberForPartner } from '../../members/index.ts';
import {
  listPartnerKeys,
  listStores,
  type PublicJwk,
  registerPartnerKey,
} from '../../partners/index.ts';
import { manualClock } from '../../platform/index.ts';
import { seedDemoAlliance } from '../../scripts/demo-alliance.ts';
import { counterFixture } from '../support/counter.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { newTestPartner, signedFetch, type TestApp, uniqueCode } from '../support/partners.ts';

/**
 * Proves docs/signing.md right with an implementation that shares nothing with the hub's or
 * the SDK's signing code: node:crypto and the page's own words.
 */
const doc = readFileSync(fileURLToPath(new URL('../../docs/signing.md', import.meta.url)), 'utf8');

function block(pattern: RegExp): string {
  const match = pattern.exec(doc);
  if (!match?.[1]) throw new Error(`docs/signing.md has no block matching ${pattern}`);
  return match[1];
}

const examplePem = block(/```pem\n([\s\S]*?)```/);
const exampleJwk = JSON.parse(block(/\n(\{\n {2}"kty": "OKP"[\s\S]*?\n\})\n/)) as PublicJwk;
const [head = '', exampleBody = ''] = block(/```http\n([\s\S]*?)\n```/).split('\n\n');
const [requestLine = '', ...headerLines] = head.split('\n');
const [exampleMethod = '', examplePath = ''] = requestLine.split(' ');
const exampleHeaders = Object.fromEntries(
  headerLines.map((line) => {
    const at = line.indexOf(': ');
    return [line.slice(0, at).toLowerCase(), line.slice(at + 2)];
  }),
) as Record<string, string>;

const b64url = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64url');

/** The page's recipe, step by step. */
function docSign(
  request: { partnerId: string; method: string; path: string; body: string; idem: string },
  stamp: { timestamp: string; nonce: string },
  key: { kid: string; alg: 'EdDSA' | 'ES256'; pem: string },
): string {
  const digest = b64url(createHash('sha256').update(request.body).digest());
  const signingString = [
    'hub-request-v1',
    request.partnerId,
    request.method,
    request.path,
    stamp.timestamp,
    stamp.nonce,
    request.idem,
    digest,
  ].join('\n');
  const header = b64url(JSON.stringify({ alg: key.alg, kid: key.kid }));
  const input = Buffer.from(`${header}.${b64url(signingString)}`, 'ascii');
  const privateKey = createPrivateKey(key.pem);
  const signature =
    key.alg === 'EdDSA'
      ? sign(null, input, privateKey)
      : sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${header}..${b64url(signature)}`;
}

/** Every ```sh block, in order: the page runs them as one bash session. */
const shellBlocks = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

const signedAt = new Date('2026-11-25T08:00:00Z');
// Frozen at the example's time for the example, at the real time for the shell session.
const clock = manualClock(new Date());
let hub: TestHub;
let app: TestApp;
let gateway: RunningGateway;
beforeAll(async () => {
  hub = await createTestHub({ clock });
  // The demo alliance: its Jade Tea is the page's partner, with the page's key.
  const domains = await openDomains(hub.services);
  await seedDemoAlliance(hub.services, domains);
  await domains.ledger.close();
  app = createApp(hub.services);
  gateway = await startGateway(hub.services);
});
afterAll(async () => {
  await gateway.stop();
  await hub.close();
});

describe('docs/signing.md', () => {
  const partnerId = exampleHeaders['hub-partner'] ?? '';
  const exampleRequest = {
    partnerId,
    method: exampleMethod,
    path: examplePath,
    body: exampleBody,
    idem: exampleHeaders['idempotency-key'] ?? '',
  };

  it("gives the example's Hub-Signature when its recipe is followed with node:crypto", () => {
    const computed = docSign(
      exampleRequest,
      {
        timestamp: exampleHeaders['hub-timestamp'] ?? '',
        nonce: exampleHeaders['hub-nonce'] ?? '',
      },
      { kid: exampleJwk.kid, alg: 'EdDSA', pem: examplePem },
    );
    expect(computed).toBe(exampleHeaders['hub-signature']);
  });

  it('has the hub accept the example request exactly as printed, once', async () => {
    const keys = await listPartnerKeys(hub.services.db, partnerId);
    expect(keys.map((k) => k.public_jwk)).toEqual([expect.objectContaining(exampleJwk)]);
    clock.set(new Date(signedAt.getTime() + 20_000));
    const send = () =>
      app.request(examplePath, {
        method: exampleMethod,
        headers: exampleHeaders,
        body: exampleBody,
      });

    const res = await send();
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ code: 'SH-003', name: 'Jade Tea Xintiandi' });
    const replay = await send();
    expect(replay.status).toBe(401);
    const stores = (await listStores(hub.services.db, partnerId)).map((s) => s.code);
    expect(stores.filter((code) => code === 'SH-003')).toEqual(['SH-003']);
    clock.set(new Date());
  });

  it('has the hub accept fresh ES256 and Ed25519 requests signed with node:crypto', async () => {
    const { partner } = await newTestPartner(hub);
    for (const alg of ['ES256', 'EdDSA'] as const) {
      const pair =
        alg === 'ES256'
          ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
          : generateKeyPairSync('ed25519');
      const jwk = pair.publicKey.export({ format: 'jwk' });
      const kid = `node-${alg.toLowerCase()}`;
      await registerPartnerKey(hub.services.db, partner.id, { ...jwk, kid } as PublicJwk);
      const timestamp = String(Math.floor(clock.now().getTime() / 1000));
      const nonce = randomBytes(16).toString('base64url');
      const request = {
        partnerId: partner.id,
        method: 'GET',
        path: '/v1/partner/me',
        body: '',
        idem: '',
      };
      const signature = docSign(
        request,
        { timestamp, nonce },
        {
          kid,
          alg,
          pem: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
        },
      );
      const res = await app.request('/v1/partner/me', {
        headers: {
          'hub-partner': partner.id,
          'hub-timestamp': timestamp,
          'hub-nonce': nonce,
          'hub-signature': signature,
        },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id: partner.id });
    }
  });

  it('runs every shell block of the page, in order, against a hub, with no refusal', async () => {
    expect(shellBlocks.length).toBeGreaterThanOrEqual(5);
    const dir = mkdtempSync(join(tmpdir(), 'signing-doc-'));
    try {
      // "Save the private key above as partner-key.pem."
      writeFileSync(join(dir, 'partner-key.pem'), examplePem);
      const marked = shellBlocks.map((b, i) => `echo '@@block ${i}'\n${b}`).join('\n');
      clock.set(new Date());
      const { stdout } = await promisify(execFile)('bash', ['-c', marked], {
        cwd: dir,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: dir,
          HUB: gateway.url,
        },
        timeout: 120_000,
      });
      const outputs = stdout.split(/^@@block \d+\n/m).slice(1);
      expect(outputs).toHaveLength(shellBlocks.length);
      // The worked example prints the page's own Hub-Signature.
      expect(outputs[0]).toBe(`Hub-Signature: ${exampleHeaders['hub-signature']}\n`);
      const session = outputs.join('');
      expect(session).toMatch(/^idempotent-replayed: true\r?$/im);
      expect(session).toContain('Signature Verified Successfully');
      expect(session).toContain('the receipt is for this answer');
      // What the calls did is in the hub: the member, her points, the ES256 key.
      const member = await findMemberForPartner(hub.services.db, partnerId, {
        customerId: "O'Brien-1",
      });
      expect(member).toBeDefined();
      const ledger = createLedger(hub.services);
      const points = await ledger.memberPoints(member?.id ?? '');
      await ledger.close();
      expect(points.balance).toBeGreaterThan(0);
      // The ES256 key the page adds, signs with and revokes; the example key stays active.
      const keys = await listPartnerKeys(hub.services.db, partnerId);
      expect(keys.map((k) => [k.alg, k.status])).toEqual([
        ['EdDSA', 'active'],
        ['ES256', 'revoked'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("shows receipts and the answers they cover as the hub's own", async () => {
    const jsonBlocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) =>
      JSON.parse(m[1] ?? ''),
    ) as Record<string, unknown>[];
    const docHeader = jsonBlocks.find((b) => b.typ === 'hub-receipt+jws');
    const docPayload = jsonBlocks.find((b) => b.typ === 'hub-receipt/v1');
    const docHold = jsonBlocks.find((b) => 'holdId' in b);
    const docBatch = jsonBlocks.find((b) => 'results' in b);
    const key = {
      partnerId,
      kid: exampleJwk.kid,
      alg: 'EdDSA' as const,
      privateKey: await importPKCS8(examplePem, 'EdDSA'),
    };
    const fixture = await counterFixture(hub, partnerId, { members: 1 });
    const hold = await signedFetch(hub, app, key, {
      method: 'POST',
      path: '/v1/partner/redemptions/authorise',
      body: await fixture.redemption(),
      idempotencyKey: uniqueCode('hold'),
    });
    expect(hold.status).toBe(200);
    const receipt = (hold.headers.get('hub-receipt') ?? '').split('.');
    const decode = (part: string | undefined) =>
      JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as unknown;
    expect(shape(decode(receipt[0]))).toEqual(shape(docHeader));
    expect(Object.keys(decode(receipt[0]) as object)).toEqual(Object.keys(docHeader ?? {}));
    expect(shape(decode(receipt[1]))).toEqual(shape(docPayload));
    expect(shape(await hold.json())).toEqual(shape(docHold));

    const batch = await signedFetch(hub, app, key, {
      method: 'POST',
      path: '/v1/partner/accruals/batch',
      body: {
        purchases: [
          fixture.purchase(),
          fixture.purchase({ member: { customerId: uniqueCode('nobody') } }),
        ],
      },
      idempotencyKey: uniqueCode('batch'),
    });
    expect(batch.status).toBe(200);
    const batchAnswer = await batch.json();
    expect(shape(batchAnswer)).toEqual(shape(docBatch));
  });
});

/** The keys and value types of a JSON value, recursively: what a reader's parser relies on. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return Object.fromEntries(
    Object.entries(value)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, shape(v)]),
  );
}
