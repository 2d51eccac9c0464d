import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../gateway/index.ts';
import { enrolAtPartner } from '../../members/index.ts';
import { listStores } from '../../partners/index.ts';
import { signPartnerRequest } from '../../sdk/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { uniquePhone } from '../support/members.ts';
import { newTestPartner, type TestPartner, uniqueCode } from '../support/partners.ts';
import { sendBytes, sendRaw } from '../support/raw-http.ts';

/**
 * The signature and the idempotency hash cover the request target exactly as it went over
 * the wire (docs/signing.md): these requests go to a listening gateway with their request
 * line written as given, never through fetch, which would normalise it.
 */
let hub: TestHub;
let gateway: RunningGateway;
let partner: TestPartner;
beforeAll(async () => {
  hub = await createTestHub();
  gateway = await startGateway(hub.services);
  partner = await newTestPartner(hub);
});
afterAll(async () => {
  await gateway.stop();
  await hub.close();
});

type Call = { target: string; method?: 'GET' | 'POST'; body?: string; idem?: string };

/** Signed over `signedTarget` (by default the target itself), sent with `target` on the line. */
async function send(call: Call, signedTarget = call.target) {
  const method = call.method ?? 'GET';
  const headers = await signPartnerRequest(partner.key, {
    method,
    pathWithQuery: signedTarget,
    body: call.body ?? '',
    idempotencyKey: call.idem,
  });
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  return sendRaw(gateway.url, { method, target: call.target, headers, body: call.body });
}

async function enrol(customerId: string): Promise<string> {
  const { member } = await enrolAtPartner(hub.services, {
    partnerId: partner.partner.id,
    partnerCustomerId: customerId,
    phone: uniquePhone(),
  });
  return member.id;
}

describe('the signed request target is the one on the request line', () => {
  it("accepts a raw apostrophe in the query, as curl sends O'Brien", async () => {
    const memberId = await enrol("O'Brien-1");
    const res = await send({ target: "/v1/partner/members?customerId=O'Brien-1" });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ memberId, customerId: "O'Brien-1" });
  });

  it('accepts raw double quotes and angle brackets in the query', async () => {
    const memberId = await enrol('"<vip>"');
    const res = await send({ target: '/v1/partner/members?customerId="<vip>"' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ memberId, customerId: '"<vip>"' });
  });

  it('accepts percent-escapes as sent, in either case, for non-ASCII customer ids', async () => {
    const memberId = await enrol('élève-7');
    for (const target of [
      '/v1/partner/members?customerId=%C3%A9l%C3%A8ve-7',
      '/v1/partner/members?customerId=%c3%a9l%c3%a8ve-7',
    ]) {
      const res = await send({ target });
      expect(res.status, target).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ memberId, customerId: 'élève-7' });
    }
  });

  it('accepts an empty query (a bare "?")', async () => {
    const res = await send({ target: '/v1/partner/me?' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ id: partner.partner.id });
  });

  it('accepts repeated query parameters in the order sent', async () => {
    const res = await send({ target: '/v1/partner/me?tag=b&tag=a&tag=b' });
    expect(res.status).toBe(200);
  });

  it('accepts dot segments as sent, and routes them where they resolve', async () => {
    for (const target of ['/v1/partner/./me', '/v1/partner/stores/../me']) {
      const res = await send({ target });
      expect(res.status, target).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ id: partner.partner.id });
    }
  });

  it('refuses a signature over any other spelling of the same target', async () => {
    const spellings: [sent: string, signed: string][] = [
      ["/v1/partner/members?customerId=O'Brien-1", '/v1/partner/members?customerId=O%27Brien-1'],
      ['/v1/partner/members?customerId=O%27Brien-1', "/v1/partner/members?customerId=O'Brien-1"],
      ['/v1/partner/me?', '/v1/partner/me'],
      ['/v1/partner/me', '/v1/partner/me?'],
      ['/v1/partner/./me', '/v1/partner/me'],
      ['/v1/partner/me?b=2&a=1', '/v1/partner/me?a=1&b=2'],
      ['/v1/partner/me?x=%C3%A9', '/v1/partner/me?x=%c3%a9'],
    ];
    for (const [sent, signed] of spellings) {
      const res = await send({ target: sent }, signed);
      expect(res.status, `${sent} signed as ${signed}`).toBe(401);
      expect(JSON.parse(res.body)).toMatchObject({ type: '/docs/problems#signature_invalid' });
    }
  });

  it('hashes the raw target for Idempotency-Key: a retry replays, another spelling conflicts', async () => {
    const code = uniqueCode('S');
    const body = JSON.stringify({ code, name: "O'Brien's corner" });
    const call = { method: 'POST' as const, body, idem: uniqueCode('idem') };
    const first = await send({ ...call, target: "/v1/partner/stores?via=O'Brien&via=till" });
    const retry = await send({ ...call, target: "/v1/partner/stores?via=O'Brien&via=till" });
    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(retry.body).toBe(first.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const other = await send({ ...call, target: '/v1/partner/stores?via=O%27Brien&via=till' });
    expect(other.status).toBe(422);
    expect(JSON.parse(other.body)).toMatchObject({
      type: '/docs/problems#idempotency_key_reused',
    });
    const stores = await listStores(hub.services.db, partner.partner.id);
    expect(stores.filter((s) => s.code === code)).toHaveLength(1);
  });

  it('never sees raw bytes outside ASCII: Node refuses that request line with 400', async () => {
    const line = Buffer.concat([
      Buffer.from('GET /v1/partner/members?customerId='),
      Buffer.from('élève', 'utf8'),
      Buffer.from(' HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n'),
    ]);
    expect(await sendBytes(gateway.url, line)).toBe('HTTP/1.1 400 Bad Request');
  });
});
