import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import { createPaidPlan, dropPayCode, publishBenefit, readPayCode } from '../../members/index.ts';
import { manualClock } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { createMember, createPartner, memberPost, recordPurchase } from '../support/members.ts';

const clock = manualClock(new Date('2026-08-01T03:00:00Z'));
let hub: TestHub;
let app: ReturnType<typeof createApp>;
let tea: string;

beforeAll(async () => {
  // The member's side is read through the demo outbox, as the README's demo does.
  hub = await createTestHub({ clock, env: { HUB_DEMO: '1' } });
  app = createApp(hub.services);
  tea = await createPartner(hub.services.db, 'tea');
  await createPaidPlan(hub.services.db, { code: 'super', name: 'Super', feeMinor: 88800 });
  await publishBenefit(hub.services, {
    partnerId: tea,
    code: 'tea-95',
    title: '5% off tea',
    kind: 'discount_rate',
    params: { rateBp: 9500 },
  });
  await publishBenefit(hub.services, {
    partnerId: null,
    code: 'shipping',
    title: 'Free shipping',
    kind: 'free_shipping',
    params: {},
    paidOnly: true,
    usageLimit: { count: 5, period: 'month' },
  });
});
afterAll(async () => {
  await hub.close();
});

function post(path: string, body: unknown, token?: string) {
  return memberPost(app, path, body, token);
}

function get(path: string, token?: string) {
  return app.request(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

/** The code the development sender delivered to this phone last, as the member reads it. */
async function latestCode(phone: string): Promise<string> {
  const outbox = await get(`/v1/dev/member-outbox?recipient=${encodeURIComponent(phone)}&limit=1`);
  const { messages } = (await outbox.json()) as { messages: { body: string }[] };
  const code = /\b([0-9]{6})\b/.exec(messages[0]?.body ?? '')?.[1];
  if (!code) throw new Error(`no code in the outbox for ${phone}`);
  return code;
}

/** Signs in the way a member does: ask for a code, read it from the dev outbox, exchange it. */
async function signIn(phone: string): Promise<string> {
  const sent = await post('/v1/member/sign-in/code', { phone });
  expect(sent.status).toBe(202);
  const session = await post('/v1/member/sign-in/session', {
    phone,
    code: await latestCode(phone),
  });
  expect(session.status).toBe(200);
  return ((await session.json()) as { token: string }).token;
}

describe('member API: happy path', () => {
  it('shows the member their profile, tier progress, growth and paid status', async () => {
    const member = await createMember(hub.services, 'Li Wei');
    await recordPurchase(hub.services, member.id, tea, 60000);
    const token = await signIn(member.phone ?? '');
    const res = await get('/v1/me', token);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      profile: { id: member.id, displayName: 'Li Wei', phone: member.phone },
      tier: {
        tier: { code: 'star1', discountBp: 9500, earnMultiplier: '1.2' },
        growthValue: 60000,
        next: { tier: { code: 'star2' }, growthNeeded: 140000 },
      },
      paidMembership: { paid: false, status: 'none', trialUsed: false },
    });

    const tier = (await (await get('/v1/me/tier', token)).json()) as { history: unknown[] };
    expect(tier.history).toEqual([
      expect.objectContaining({ fromTier: 'ordinary', toTier: 'star1', reason: 'growth' }),
    ]);
    const growth = await (await get('/v1/me/growth?limit=5', token)).json();
    expect(growth).toMatchObject({
      growthValue: 60000,
      events: [{ kind: 'purchase', amount: 60000, brand: 'tea' }],
      nextCursor: null,
    });

    const patched = await app.request('/v1/me', {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ displayName: 'Wei', consents: { marketing: true } }),
    });
    expect(await patched.json()).toMatchObject({
      displayName: 'Wei',
      consents: { marketing: true },
    });
  });

  it('starts a trial, then lists all benefits across brands including the paid ones', async () => {
    const member = await createMember(hub.services);
    const token = await signIn(member.phone ?? '');
    const before = (await (await get('/v1/me/benefits', token)).json()) as {
      benefits: { code: string }[];
    };
    expect(before.benefits.map((b) => b.code)).toEqual(['tea-95']);

    const trial = await post('/v1/me/paid-membership/trial', { planCode: 'super' }, token);
    expect(trial.status).toBe(200);
    expect(await trial.json()).toMatchObject({ paid: true, status: 'trial' });
    const again = await post('/v1/me/paid-membership/trial', { planCode: 'super' }, token);
    expect(again.status).toBe(422);

    const after = (await (await get('/v1/me/benefits', token)).json()) as {
      benefits: { code: string; usesLeft: number | null; publisher: unknown }[];
    };
    expect(after.benefits).toEqual([
      expect.objectContaining({ code: 'shipping', usesLeft: 5, publisher: { hub: true } }),
      expect.objectContaining({ code: 'tea-95', usesLeft: null }),
    ]);

    const cancelled = await post('/v1/me/paid-membership/cancel', {}, token);
    expect(await cancelled.json()).toMatchObject({ paid: true, status: 'cancelled' });
  });

  it('gives a pay code with its QR code, which a till can consume once', async () => {
    const member = await createMember(hub.services);
    const token = await signIn(member.phone ?? '');
    const res = await post('/v1/me/pay-codes', {}, token);
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { code: string; qrSvg: string };
    expect(body.code).toMatch(/^[0-9]{18}$/);
    expect(body.qrSvg).toMatch(/^<svg/);
    const svg = await get('/v1/me/pay-codes/current.svg', token);
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect(await readPayCode(hub.services, body.code, tea)).toEqual({
      code: body.code,
      memberId: member.id,
    });
    // What a till's redemption does once it has committed.
    await dropPayCode(hub.services, body.code);
    expect((await get('/v1/me/pay-codes/current.svg', token)).status).toBe(404);
  });

  it('lists the member API in the OpenAPI document', async () => {
    const doc = (await (await get('/openapi.json')).json()) as {
      paths: Record<string, unknown>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/member/sign-in/code',
        '/v1/member/sign-in/session',
        '/v1/me',
        '/v1/me/benefits',
        '/v1/me/pay-codes',
      ]),
    );
    expect(doc.components.securitySchemes).toHaveProperty('memberSession');
  });
});

describe('member API: errors', () => {
  it('names the field of a bad contact', async () => {
    const res = await post('/v1/member/sign-in/code', { phone: '12' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      type: '/docs/problems#validation_failed',
      errors: [{ field: 'phone' }],
    });
  });

  it('refuses a wrong sign-in code with 401', async () => {
    const member = await createMember(hub.services);
    await post('/v1/member/sign-in/code', { phone: member.phone });
    const code = await latestCode(member.phone ?? '');
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const res = await post('/v1/member/sign-in/session', { phone: member.phone, code: wrong });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ reason: 'code_wrong', attemptsLeft: 4 });
  });
});

describe('member API: security', () => {
  it('refuses every /v1/me route without a valid session', async () => {
    const member = await createMember(hub.services);
    const otherAudience = await hub.services.hubSigner.signJwt(
      {},
      { subject: member.id, audience: 'partner', expiresInSeconds: 600, now: clock.now() },
    );
    for (const token of [undefined, 'garbage', otherAudience]) {
      for (const path of ['/v1/me', '/v1/me/benefits', '/v1/me/tier', '/v1/me/paid-membership']) {
        const res = await get(path, token);
        expect(res.status, `${path} with ${token}`).toBe(401);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
      }
      expect((await post('/v1/me/pay-codes', {}, token)).status).toBe(401);
    }
  });

  it('gives a member only their own data: a token edited to name another member is refused', async () => {
    const alice = await createMember(hub.services, 'Alice');
    const bob = await createMember(hub.services, 'Bob');
    const token = await signIn(alice.phone ?? '');
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString());
    const forged = [
      header,
      Buffer.from(JSON.stringify({ ...claims, sub: bob.id })).toString('base64url'),
      signature,
    ].join('.');
    expect((await get('/v1/me', forged)).status).toBe(401);

    const mine = (await (await get(`/v1/me?memberId=${bob.id}`, token)).json()) as {
      profile: { id: string };
    };
    expect(mine.profile.id).toBe(alice.id);
    expect((await get(`/v1/members/${bob.id}`, token)).status).toBe(404);
  });

  it('refuses a session after it expires', async () => {
    const member = await createMember(hub.services);
    const token = await signIn(member.phone ?? '');
    clock.advanceMs(15 * 60_000 + 1000);
    expect((await get('/v1/me', token)).status).toBe(401);
  });
});
