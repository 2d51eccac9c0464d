import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApp,
  memberSessionFailures,
  type RunningGateway,
  signatureFailuresPerAddress,
  signatureFailuresPerPartner,
  staffTokenFailures,
  startGateway,
} from '../../gateway/index.ts';
import { issueMemberSession, signInRequestsPerAddressMax } from '../../members/index.ts';
import { manualClock } from '../../platform/index.ts';
import { fromAddress } from '../support/clients.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { createMember, uniquePhone } from '../support/members.ts';
import {
  newTestPartner,
  type SignedCall,
  signedFetch,
  staffToken,
  type TestApp,
  type TestPartner,
} from '../support/partners.ts';

const clock = manualClock(new Date('2026-06-01T08:00:00Z'));
let hub: TestHub;
let app: TestApp;
let adminToken: string;

beforeAll(async () => {
  hub = await createTestHub({ clock });
  // Sign-in codes go to a sender that drops them: this file counts requests, it reads no code.
  app = createApp(hub.services, { signInSender: { send: async () => {} } });
  adminToken = await staffToken(hub, 'admin');
});
afterAll(async () => {
  await hub.close();
});

/** The answer's status and problem type (undefined for a success). */
async function outcome(res: Response): Promise<{ status: number; type?: string }> {
  const body = (await res.json()) as { type?: string };
  return { status: res.status, type: body.type?.replace('/docs/problems#', '') };
}

function staffCall(token: string, from: string, target: TestApp = app, headers = {}) {
  return target.request(
    '/v1/admin/partners',
    { headers: { authorization: `Bearer ${token}`, ...headers } },
    fromAddress(from),
  );
}

describe('staff tokens', () => {
  it('refuse an address after too many wrong tokens, before checking even a good one', async () => {
    const attacker = '203.0.113.10';
    for (let i = 0; i < staffTokenFailures.limit; i++) {
      expect((await staffCall(`hst_forged${i}`, attacker)).status).toBe(401);
    }
    const refused = await staffCall(adminToken, attacker);
    expect(await outcome(refused)).toEqual({ status: 429, type: 'rate_limited' });
    expect(Number(refused.headers.get('retry-after'))).toBe(3);
    // Staff elsewhere are not affected.
    expect((await staffCall(adminToken, '203.0.113.11')).status).toBe(200);
    // One unit of the window later the good token is let through, and does not count.
    clock.advanceMs(staffTokenFailures.windowMs / staffTokenFailures.limit);
    expect((await staffCall(adminToken, attacker)).status).toBe(200);
    expect((await staffCall(adminToken, attacker)).status).toBe(200);
    expect((await staffCall('hst_forged-again', attacker)).status).toBe(401);
    expect((await staffCall('hst_forged-more', attacker)).status).toBe(429);
  });

  it('do not count requests without a token, which cost no check', async () => {
    const from = '203.0.113.12';
    for (let i = 0; i < staffTokenFailures.limit + 5; i++) {
      const res = await app.request('/v1/admin/partners', {}, fromAddress(from));
      expect(res.status).toBe(401);
    }
    expect((await staffCall(adminToken, from)).status).toBe(200);
  });
});

describe('member sessions', () => {
  function me(token: string, from: string) {
    return app.request(
      '/v1/me',
      { headers: { authorization: `Bearer ${token}` } },
      fromAddress(from),
    );
  }

  it('refuse an address after too many forged sessions, but never count expired ones', async () => {
    const member = await createMember(hub.services);
    const { token } = await issueMemberSession(hub.services, member.id);
    const expired = (
      await issueMemberSession(
        { ...hub.services, clock: manualClock(new Date(clock.now().getTime() - 3_600_000)) },
        member.id,
      )
    ).token;

    const stale = '203.0.113.20';
    for (let i = 0; i < memberSessionFailures.limit + 5; i++) {
      expect(await outcome(await me(expired, stale))).toEqual({
        status: 401,
        type: 'unauthenticated',
      });
    }
    expect((await me(token, stale)).status).toBe(200);

    const forger = '203.0.113.21';
    for (let i = 0; i < memberSessionFailures.limit; i++) {
      expect((await me(`${token.slice(0, -6)}forged`, forger)).status).toBe(401);
    }
    expect(await outcome(await me(token, forger))).toEqual({ status: 429, type: 'rate_limited' });
    expect((await me(token, '203.0.113.22')).status).toBe(200);
  });
});

describe('partner signatures', () => {
  let alice: TestPartner;
  let bob: TestPartner;

  beforeAll(async () => {
    alice = await newTestPartner(hub);
    bob = await newTestPartner(hub);
  });

  const me: SignedCall = { method: 'GET', path: '/v1/partner/me' };
  /** Bob's key (same kid "main") claiming to be alice: verified, and wrong. */
  const forged = (from: string) =>
    signedFetch(hub, app, { ...bob.key, partnerId: alice.partner.id }, { ...me, from });
  const genuine = (from: string) => signedFetch(hub, app, alice.key, { ...me, from });

  it('refuse an address after too many forged signatures, before verifying even a good one', async () => {
    const attacker = '203.0.113.30';
    for (let i = 0; i < signatureFailuresPerAddress.limit; i++) {
      expect(await outcome(await forged(attacker))).toEqual({
        status: 401,
        type: 'signature_invalid',
      });
    }
    expect(await outcome(await genuine(attacker))).toEqual({ status: 429, type: 'rate_limited' });
    expect((await genuine('203.0.113.31')).status).toBe(200);
  });

  it('keep a forged partner reachable from its own servers during a storm from many addresses', async () => {
    const storm = Array.from(
      { length: signatureFailuresPerPartner.limit },
      (_, i) => `10.${Math.floor(i / 250)}.${i % 250}.1`,
    );
    // Before the storm, an address that failed once is still verified like any other.
    expect((await forged(storm[0] ?? '')).status).toBe(401);
    expect((await genuine(storm[0] ?? '')).status).toBe(200);
    for (let i = 1; i < storm.length; i += 50) {
      const wave = await Promise.all(storm.slice(i, i + 50).map((from) => forged(from)));
      expect(wave.every((res) => res.status === 401)).toBe(true);
    }
    // Over the partner's limit: addresses that forged are refused before verification...
    expect(await outcome(await genuine(storm[1] ?? ''))).toEqual({
      status: 429,
      type: 'rate_limited',
    });
    // ...while the partner's own server, and a newcomer, are still verified.
    expect((await genuine('192.0.2.200')).status).toBe(200);
    expect((await forged('192.0.2.201')).status).toBe(401);
  });
});

describe('sign-in codes over HTTP', () => {
  it('are limited per client address', async () => {
    const ask = (from: string) =>
      app.request(
        '/v1/member/sign-in/code',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ phone: uniquePhone() }),
        },
        fromAddress(from),
      );
    for (let i = 0; i < signInRequestsPerAddressMax; i++) {
      expect((await ask('203.0.113.40')).status).toBe(202);
    }
    const refused = await ask('203.0.113.40');
    expect(await outcome(refused)).toEqual({ status: 429, type: 'rate_limited' });
    expect(Number(refused.headers.get('retry-after'))).toBe(120);
    expect((await ask('203.0.113.41')).status).toBe(202);
  });
});

describe('the client address', () => {
  it('ignores X-Forwarded-For unless TRUST_PROXY_HOPS says a proxy writes it', async () => {
    const proxy = '10.9.0.1';
    for (let i = 0; i < staffTokenFailures.limit; i++) {
      const spoofed = { 'x-forwarded-for': `198.18.7.${i}` };
      expect((await staffCall(`hst_x${i}`, proxy, app, spoofed)).status).toBe(401);
    }
    expect((await staffCall(adminToken, proxy, app, { 'x-forwarded-for': '1.2.3.4' })).status).toBe(
      429,
    );

    const behindProxy = createApp({
      ...hub.services,
      config: { ...hub.config, trustProxyHops: 1 },
    });
    const client = '198.51.100.77';
    for (let i = 0; i < staffTokenFailures.limit; i++) {
      // Whatever the client writes itself stays on the left; the proxy appends what it saw.
      const forwarded = { 'x-forwarded-for': `198.18.8.${i}, ${client}` };
      expect((await staffCall(`hst_y${i}`, proxy, behindProxy, forwarded)).status).toBe(401);
    }
    const again = { 'x-forwarded-for': `198.18.9.1, ${client}` };
    expect((await staffCall(adminToken, proxy, behindProxy, again)).status).toBe(429);
    const neighbour = { 'x-forwarded-for': '198.51.100.78' };
    expect((await staffCall(adminToken, proxy, behindProxy, neighbour)).status).toBe(200);
  });

  it('is the socket’s peer on the node server', async () => {
    const gateway: RunningGateway = await startGateway(hub.services);
    const call = (localAddress: string, token: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          `${gateway.url}/v1/admin/partners`,
          { localAddress, agent: false, headers: { authorization: `Bearer ${token}` } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    try {
      for (let i = 0; i < staffTokenFailures.limit; i++) {
        expect(await call('127.0.0.2', `hst_socket${i}`)).toBe(401);
      }
      expect(await call('127.0.0.2', adminToken)).toBe(429);
      expect(await call('127.0.0.1', adminToken)).toBe(200);
    } finally {
      await gateway.stop();
    }
  });
});
