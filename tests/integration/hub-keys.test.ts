import { compactVerify, createLocalJWKSet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubSigner, hubJwks, retireHubKey, rotateHubKey } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(async () => {
  await hub.close();
});

describe('hub signing keys', () => {
  it('signs with a key published in the JWKS, and keeps old signatures verifiable through rotation', async () => {
    const before = createHubSigner(hub.services.db);
    const payload = new TextEncoder().encode('{"receipt":1}');
    const jws = await before.signCompact(payload);
    const firstJwks = await hubJwks(hub.services.db);
    expect(firstJwks.keys).toHaveLength(1);
    expect(firstJwks.keys[0]).not.toHaveProperty('d'); // never the private half

    const oldKid = firstJwks.keys[0]?.kid ?? '';
    const newKid = await rotateHubKey(hub.services.db);
    const rotated = await hubJwks(hub.services.db);
    expect(rotated.keys.map((k) => k.kid)).toEqual([newKid, oldKid]);
    const verified = await compactVerify(jws, createLocalJWKSet(rotated), {
      algorithms: ['EdDSA'],
    });
    expect(new TextDecoder().decode(verified.payload)).toBe('{"receipt":1}');

    const after = createHubSigner(hub.services.db);
    const fresh = await after.signCompact(payload);
    expect(JSON.parse(Buffer.from(fresh.split('.')[0] ?? '', 'base64url').toString()).kid).toBe(
      newKid,
    );

    await retireHubKey(hub.services.db, oldKid, new Date());
    const retired = await hubJwks(hub.services.db);
    expect(retired.keys.map((k) => k.kid)).toEqual([newKid]);
    await expect(
      compactVerify(jws, createLocalJWKSet(retired), { algorithms: ['EdDSA'] }),
    ).rejects.toThrow();
  });

  it('issues session tokens that verify only for their audience and until they expire', async () => {
    const signer = createHubSigner(hub.services.db);
    const now = new Date('2026-11-25T00:00:00Z');
    const token = await signer.signJwt(
      {},
      { subject: 'member-1', audience: 'member', expiresInSeconds: 900, now },
    );
    expect((await signer.verifyJwt(token, { audience: 'member', now })).sub).toBe('member-1');
    await expect(signer.verifyJwt(token, { audience: 'staff', now })).rejects.toThrow();
    await expect(
      signer.verifyJwt(token, { audience: 'member', now: new Date(now.getTime() + 901_000) }),
    ).rejects.toThrow();
  });
});
