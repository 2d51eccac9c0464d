import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Domains, openDomains } from '../../domains.ts';
import { createApp } from '../../gateway/index.ts';
import { importSigningKey, newKey, signRequest } from '../../load/lib/hub.js';
import { audit } from '../../load/runner/audit.ts';
import type { Exchange } from '../../load/runner/run-state.ts';
import { type LoadSetup, prepareLoad } from '../../scripts/load-setup.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';

let hub: TestHub;
let domains: Domains;
let setup: LoadSetup;
let since: Date;
beforeAll(async () => {
  hub = await createTestHub();
  domains = await openDomains(hub.services);
  setup = await prepareLoad(hub.services, domains, 2);
  since = new Date(Date.now() - 1_000);
});
afterAll(async () => {
  await domains.ledger.close();
  await hub.close();
});

/** A signed accrual sent to the hub, recorded as the runner's journal records it. */
async function accrue(orderId: string, amountMinor = 10_000): Promise<Exchange> {
  const app = createApp(hub.services, domains);
  const path = '/v1/partner/accruals';
  const body = JSON.stringify({
    orderId,
    storeCode: setup.storeCode,
    amountMinor,
    purchasedAt: new Date().toISOString(),
    member: { customerId: setup.customerIds[0] },
  });
  const key = await importSigningKey(setup.privateJwk);
  const headers = await signRequest(key, setup.partner, {
    method: 'POST',
    path,
    body,
    idempotencyKey: newKey(),
  });
  const res = await app.request(path, { method: 'POST', headers, body });
  return {
    method: 'POST',
    path,
    requestBody: body,
    status: res.status,
    responseBody: await res.text(),
  };
}

describe('the audit after a load run', () => {
  it('passes when what the tills were told is what the ledger holds', async () => {
    const journal = [await accrue(newKey()), await accrue(newKey())];
    const report = await audit(hub.services.db, setup.partner.id, since, journal);
    expect(report.problems).toEqual([]);
    expect(report.lines.join('\n')).toContain('accruals     2 acknowledged');
  });

  it('fails a run whose acknowledged accrual is not in the ledger (lost)', async () => {
    const real = await accrue(newKey());
    const lost = {
      ...real,
      requestBody: real.requestBody.replace(/"orderId":"[^"]+"/, '"orderId":"never-booked"'),
    };
    const report = await audit(hub.services.db, setup.partner.id, since, [real, lost]);
    expect(report.ok).toBe(false);
    expect(report.problems).toContain('accrual never-booked was acknowledged but is not booked');
  });

  it('fails a run in which something refused was booked', async () => {
    const booked = await accrue(newKey());
    const refused = { ...booked, status: 400, responseBody: '{"type":"validation_failed"}' };
    const report = await audit(hub.services.db, setup.partner.id, since, [refused]);
    expect(report.problems.some((p) => p.endsWith('was refused but is booked'))).toBe(true);
  });

  it('fails a run in which an order was applied twice', async () => {
    const orderId = newKey();
    const first = await accrue(orderId);
    const { memberId } = JSON.parse(first.responseBody) as { memberId: string };
    // A second accrual of the same order behind the till's back: what a double apply looks like.
    await domains.ledger.accrue({
      partnerId: setup.partner.id,
      memberId,
      points: 5,
      idempotencyKey: `twice-${orderId}`,
      expiresAt: new Date('2099-01-01T00:00:00Z'),
      metadata: { orderId },
    });
    const report = await audit(hub.services.db, setup.partner.id, since, [first]);
    expect(report.problems).toContain(`2 entries: accrual of order ${orderId}`);
  });
});
