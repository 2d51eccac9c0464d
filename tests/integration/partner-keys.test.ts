import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import { verifyReceipt } from '../../partners/index.ts';
import { createHubSigner, listAudit } from '../../platform/index.ts';
import type { PartnerSigningKey } from '../../sdk/index.ts';
import { counterFixture } from '../support/counter.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import {
  idempotencyKey,
  newKeyPair,
  newTestPartner,
  signedFetch,
  type TestApp,
  type TestPartner,
} from '../support/partners.ts';

let hub: TestHub;
let app: TestApp;
beforeAll(async () => {
  hub = await createTestHub();
  app = createApp(hub.services);
});
afterAll(async () => {
  await hub.close();
});

async function send(key: PartnerSigningKey, method: 'GET' | 'POST', path: string, body?: unknown) {
  const res = await signedFetch(hub, app, key, {
    method,
    path,
    body,
    idempotencyKey: method === 'POST' ? idempotencyKey() : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const me = (key: PartnerSigningKey) => send(key, 'GET', '/v1/partner/me');

/** A new key pair the partner adds through its API, signed with `by`; the key to sign with. */
async function addKey(p: TestPartner, by: PartnerSigningKey, kid: string, alg: 'EdDSA' | 'ES256') {
  const pair = await newKeyPair(alg, kid);
  const res = await send(by, 'POST', '/v1/partner/keys', { jwk: pair.publicJwk });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ kid, alg, status: 'active' });
  return { partnerId: p.partner.id, kid, alg, privateKey: pair.privateKey };
}

describe('a partner managing its own keys', () => {
  it('adds a key with a current one, rotates to it and revokes the old', async () => {
    const p = await newTestPartner(hub);
    const next = await addKey(p, p.key, 'pos-2027', 'ES256');
    expect((await me(next)).status).toBe(200);

    const revoked = await send(next, 'POST', `/v1/partner/keys/${p.key.kid}/revoke`);
    expect(revoked).toMatchObject({ status: 200, body: { kid: 'main', status: 'revoked' } });
    const old = await me(p.key);
    expect(old).toMatchObject({ status: 401, body: { type: '/docs/problems#signature_invalid' } });
    const listed = await send(next, 'GET', '/v1/partner/keys');
    expect(
      (listed.body.keys as Array<{ kid: string; status: string }>).map((k) => [k.kid, k.status]),
    ).toEqual([
      ['main', 'revoked'],
      ['pos-2027', 'active'],
    ]);
    const audit = await listAudit(hub.services.db, { subject: p.partner.id, limit: 10 });
    expect(audit.map((a) => [a.action, a.actor_kind, a.after?.signedWith])).toEqual([
      ['partner.key.add', 'partner', 'main'],
      ['partner.key.revoke', 'partner', 'pos-2027'],
    ]);
  });

  it('never revokes its last active key, and a key may revoke itself while another stays', async () => {
    const p = await newTestPartner(hub);
    const last = await send(p.key, 'POST', `/v1/partner/keys/${p.key.kid}/revoke`);
    expect(last).toMatchObject({ status: 409, body: { type: '/docs/problems#conflict' } });
    expect((await me(p.key)).status).toBe(200);

    const spare = await addKey(p, p.key, 'spare', 'EdDSA');
    const self = await send(p.key, 'POST', `/v1/partner/keys/${p.key.kid}/revoke`);
    expect(self.status).toBe(200);
    expect((await me(p.key)).status).toBe(401);
    const lastAgain = await send(spare, 'POST', '/v1/partner/keys/spare/revoke');
    expect(lastAgain.status).toBe(409);
    // Revoking a revoked key changes nothing.
    expect((await send(spare, 'POST', '/v1/partner/keys/main/revoke')).status).toBe(200);
  });

  it("refuses another partner's kid, a private key, a kid taken, and keeps the key refused", async () => {
    const p = await newTestPartner(hub);
    const other = await newTestPartner(hub);
    await addKey(other, other.key, 'only-theirs', 'EdDSA');
    const foreign = await send(p.key, 'POST', '/v1/partner/keys/only-theirs/revoke');
    expect(foreign.status).toBe(404);

    const pair = await newKeyPair('EdDSA', 'main');
    const taken = await send(p.key, 'POST', '/v1/partner/keys', { jwk: pair.publicJwk });
    expect(taken).toMatchObject({ status: 409, body: { errors: [{ field: 'jwk.kid' }] } });
    const withD = await send(p.key, 'POST', '/v1/partner/keys', {
      jwk: { ...pair.publicJwk, kid: 'secret', d: 'AAAA' },
    });
    expect(withD.status).toBe(400);
    const keys = await send(p.key, 'GET', '/v1/partner/keys');
    expect((keys.body.keys as unknown[]).length).toBe(1);
  });
});

describe("the hub's own signing key", () => {
  it('rotates with the CLI; receipts signed before still verify against the JWKS', async () => {
    const p = await newTestPartner(hub);
    const fixture = await counterFixture(hub, p.partner.id, { members: 1 });
    await fixture.ledger.close();
    const before = await signedFetch(hub, app, p.key, {
      method: 'POST',
      path: '/v1/partner/accruals',
      body: fixture.purchase(),
      idempotencyKey: idempotencyKey(),
    });
    const oldBody = await before.text();
    const oldReceipt = before.headers.get('hub-receipt') ?? '';
    const oldKid = (await hub.services.hubSigner.jwks()).keys[0]?.kid;

    const script = fileURLToPath(new URL('../../scripts/hub-key.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [script, 'rotate'], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: hub.config.databaseUrl,
        REDIS_URL: hub.config.redisUrl,
      },
    });
    const newKid = /hub-key: (\S+) signs/.exec(stdout)?.[1];
    expect(newKid).toBeDefined();
    expect(newKid).not.toBe(oldKid);

    // A process that reads the keys afresh (every hub within a minute) signs with the new key.
    const signer = createHubSigner(hub.services.db);
    const jwks = await signer.jwks();
    expect(jwks.keys.map((k) => k.kid)).toEqual([newKid, oldKid]);
    await expect(verifyReceipt(oldReceipt, jwks, oldBody)).resolves.toMatchObject({
      partnerId: p.partner.id,
    });
    const fresh = createApp({ ...hub.services, hubSigner: signer });
    const after = await signedFetch(hub, fresh, p.key, {
      method: 'POST',
      path: '/v1/partner/accruals',
      body: fixture.purchase(),
      idempotencyKey: idempotencyKey(),
    });
    const receipt = after.headers.get('hub-receipt') ?? '';
    const header = JSON.parse(Buffer.from(receipt.split('.')[0] ?? '', 'base64url').toString());
    expect(header.kid).toBe(newKid);
    await expect(verifyReceipt(receipt, jwks, await after.text())).resolves.toBeDefined();
  });
});
