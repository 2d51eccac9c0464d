import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import { listStores, type PublicJwk, registerPartnerKey } from '../../partners/index.ts';
import { manualClock } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { newTestPartner, type TestApp } from '../support/partners.ts';

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

const signedAt = new Date('2026-11-25T08:00:00Z');
const clock = manualClock(signedAt);
let hub: TestHub;
let app: TestApp;
beforeAll(async () => {
  hub = await createTestHub({ clock });
  app = createApp(hub.services);
});
afterAll(async () => {
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
    await hub.services.db
      .insertInto('partners')
      .values({ id: partnerId, code: 'jade-tea-doc', name: 'Jade Tea', brand: 'Jade Tea' })
      .execute();
    await registerPartnerKey(hub.services.db, partnerId, exampleJwk);
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
    expect((await listStores(hub.services.db, partnerId)).map((s) => s.code)).toEqual(['SH-003']);
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
});
