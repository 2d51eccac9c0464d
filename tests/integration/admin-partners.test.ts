import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import {
  newKeyPair,
  staffClient,
  staffToken,
  type TestApp,
  uniqueCode,
} from '../support/partners.ts';

let hub: TestHub;
let app: TestApp;
let admin: string;
let call: ReturnType<typeof staffClient>;

beforeAll(async () => {
  hub = await createTestHub();
  app = createApp(hub.services);
  admin = await staffToken(hub, 'admin');
  call = staffClient(app, admin);
});
afterAll(async () => {
  await hub.close();
});

const settlement = {
  bankAccountName: 'Jade Tea Co.',
  bankAccountNumber: '6222021234567890',
  currency: 'CNY',
};

async function onboard(): Promise<{ id: string; code: string }> {
  const code = uniqueCode('jade');
  const res = await call('POST', '/v1/admin/partners', {
    code,
    name: 'Jade Tea Co.',
    brand: 'Jade Tea',
    settlement,
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; code: string };
}

describe('staff authentication', () => {
  it('refuses a missing or unknown token with 401', async () => {
    expect((await call('GET', '/v1/admin/partners', undefined, null)).status).toBe(401);
    expect((await call('GET', '/v1/admin/partners', undefined, 'hst_nope')).status).toBe(401);
  });

  it('refuses a finance token on admin routes with 403', async () => {
    const finance = await staffToken(hub, 'finance');
    const res = await call('GET', '/v1/admin/partners', undefined, finance);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ type: '/docs/problems#forbidden' });
  });
});

describe('partners', () => {
  it('onboards a partner and shows it in the list and by id', async () => {
    const made = await onboard();
    const one = await call('GET', `/v1/admin/partners/${made.id}`);
    expect(await one.json()).toMatchObject({ code: made.code, status: 'active', settlement });
    const list = (await (await call('GET', '/v1/admin/partners?limit=200')).json()) as {
      partners: { id: string }[];
    };
    expect(list.partners.map((p) => p.id)).toContain(made.id);
  });

  it('refuses a taken code with 409 and bad settlement details with 400 naming the fields', async () => {
    const made = await onboard();
    const dup = await call('POST', '/v1/admin/partners', {
      code: made.code,
      name: 'X',
      brand: 'X',
      settlement,
    });
    expect(dup.status).toBe(409);
    const bad = await call('POST', '/v1/admin/partners', {
      code: uniqueCode('bad'),
      name: 'X',
      brand: 'X',
      settlement: { bankAccountName: '', bankAccountNumber: '12', currency: 'yuan' },
    });
    expect(bad.status).toBe(400);
    const fields = ((await bad.json()) as { errors: { field: string }[] }).errors.map(
      (e) => e.field,
    );
    expect(fields).toEqual(
      expect.arrayContaining([
        'settlement.bankAccountName',
        'settlement.bankAccountNumber',
        'settlement.currency',
      ]),
    );
  });

  it('answers 404 for an unknown partner', async () => {
    const res = await call('GET', '/v1/admin/partners/0193a5f2-0000-7000-8000-000000000000');
    expect(res.status).toBe(404);
  });

  it('suspends and reactivates a partner, and changes its rate limit', async () => {
    const made = await onboard();
    const suspended = await call('PATCH', `/v1/admin/partners/${made.id}`, { status: 'suspended' });
    expect(await suspended.json()).toMatchObject({ status: 'suspended' });
    const back = await call('PATCH', `/v1/admin/partners/${made.id}`, {
      status: 'active',
      rateLimitPerMinute: 120,
    });
    expect(await back.json()).toMatchObject({ status: 'active', rateLimitPerMinute: 120 });
    expect((await call('PATCH', `/v1/admin/partners/${made.id}`, {})).status).toBe(400);
    expect((await call('PATCH', `/v1/admin/partners/${made.id}`, { status: 'gone' })).status).toBe(
      400,
    );
  });
});

describe('stores', () => {
  it('adds stores to a partner and lists them; a taken code is 409', async () => {
    const made = await onboard();
    const path = `/v1/admin/partners/${made.id}/stores`;
    expect((await call('POST', path, { code: 'SH-001', name: 'Xintiandi' })).status).toBe(201);
    expect((await call('POST', path, { code: 'SH-001', name: 'Again' })).status).toBe(409);
    const list = (await (await call('GET', path)).json()) as { stores: { code: string }[] };
    expect(list.stores.map((s) => s.code)).toEqual(['SH-001']);
    const missing = '/v1/admin/partners/0193a5f2-0000-7000-8000-000000000000/stores';
    expect((await call('POST', missing, { code: 'X', name: 'X' })).status).toBe(404);
  });
});

describe('signing keys', () => {
  it('registers Ed25519 and P-256 keys, pinning the algorithm by key type', async () => {
    const made = await onboard();
    const path = `/v1/admin/partners/${made.id}/keys`;
    const ed = await newKeyPair('EdDSA', 'ed-1');
    const ec = await newKeyPair('ES256', 'ec-1');
    const edRes = await call('POST', path, { jwk: { ...ed.publicJwk, alg: 'EdDSA' } });
    expect(await edRes.json()).toMatchObject({ kid: 'ed-1', alg: 'EdDSA', status: 'active' });
    const ecRes = await call('POST', path, { jwk: ec.publicJwk });
    expect(await ecRes.json()).toMatchObject({ kid: 'ec-1', alg: 'ES256', status: 'active' });
    const list = (await (await call('GET', path)).json()) as { keys: { kid: string }[] };
    expect(list.keys.map((k) => k.kid)).toEqual(['ed-1', 'ec-1']);
  });

  it('refuses private keys, other key types, bad points and a taken kid', async () => {
    const made = await onboard();
    const path = `/v1/admin/partners/${made.id}/keys`;
    const ed = await newKeyPair('EdDSA', 'k1');
    const withD = await call('POST', path, { jwk: { ...ed.publicJwk, d: ed.publicJwk.x } });
    expect(withD.status).toBe(400);
    expect(JSON.stringify(await withD.json())).toContain('private keys are refused');
    const rsa = await call('POST', path, { jwk: { kty: 'RSA', n: 'AQAB', e: 'AQAB', kid: 'r' } });
    expect(rsa.status).toBe(400);
    const offCurve = await call('POST', path, {
      jwk: { kty: 'EC', crv: 'P-256', x: 'A'.repeat(43), y: 'A'.repeat(43), kid: 'bad' },
    });
    expect(offCurve.status).toBe(400);
    expect((await call('POST', path, { jwk: ed.publicJwk })).status).toBe(201);
    expect((await call('POST', path, { jwk: ed.publicJwk })).status).toBe(409);
  });

  it('revokes a key, and answers 404 for an unknown one', async () => {
    const made = await onboard();
    const path = `/v1/admin/partners/${made.id}/keys`;
    const ed = await newKeyPair('EdDSA', 'old');
    await call('POST', path, { jwk: ed.publicJwk });
    const revoked = await call('POST', `${path}/old/revoke`);
    expect(await revoked.json()).toMatchObject({ kid: 'old', status: 'revoked' });
    expect((await call('POST', `${path}/old/revoke`)).status).toBe(200);
    expect((await call('POST', `${path}/nope/revoke`)).status).toBe(404);
  });
});

describe('earn and burn rules', () => {
  it('starts from the defaults, and replaces the earn and burn rules', async () => {
    const made = await onboard();
    const path = `/v1/admin/partners/${made.id}/rules`;
    expect(await (await call('GET', path)).json()).toMatchObject({
      earn: { pointsPerMinor: '0.01', capPerTransaction: null },
      burn: { maxShare: '0.5', pointValueMinor: '1' },
      timeZone: 'Asia/Shanghai',
    });
    const earn = {
      pointsPerMinor: '0.01',
      categoryRates: { tea: '0.02' },
      tierMultipliers: { gold: '1.5' },
      paidMemberMultiplier: '2',
      campaigns: [
        {
          id: 'member-day',
          name: 'Member day',
          multiplier: '2',
          window: { kind: 'monthly', dayOfMonth: 8 },
        },
      ],
      capPerTransaction: 5000,
    };
    const put = await call('PUT', `${path}/earn`, earn);
    expect(put.status).toBe(200);
    expect(((await put.json()) as { earn: unknown }).earn).toEqual(earn);
    const preview = await call('POST', `${path}/earn/preview`, {
      amountMinor: 10_000,
      lines: [{ category: 'tea', amountMinor: 5_000 }],
      tier: 'gold',
      paidMember: true,
      at: '2026-12-08T10:00:00+08:00',
    });
    // (5000 x 0.02 + 5000 x 0.01) x 1.5 x 2 x 2 = 900
    expect(await preview.json()).toMatchObject({ points: 900, basePoints: 150, capped: false });
    const burn = await call('PUT', `${path}/burn`, { maxShare: '0.3' });
    expect(await burn.json()).toMatchObject({
      burn: { maxShare: '0.3' },
      earn: { capPerTransaction: 5000 },
    });
  });

  it('refuses a rule with a float rate or a share above 1, naming the field', async () => {
    const made = await onboard();
    const path = `/v1/admin/partners/${made.id}/rules`;
    const bad = await call('PUT', `${path}/earn`, { pointsPerMinor: 0.01 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ errors: [{ field: 'pointsPerMinor' }] });
    expect((await call('PUT', `${path}/burn`, { maxShare: '1.5' })).status).toBe(400);
    const unchanged = (await (await call('GET', path)).json()) as { burn: { maxShare: string } };
    expect(unchanged.burn.maxShare).toBe('0.5');
  });
});
