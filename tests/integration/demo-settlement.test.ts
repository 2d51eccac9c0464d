import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDomains } from '../../domains.ts';
import { createApp } from '../../gateway/index.ts';
import { verifyLedger } from '../../ledger/index.ts';
import { seedDemoAlliance } from '../../scripts/demo-alliance.ts';
import { runSettlement } from '../../settlement/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { staffClient, staffToken } from '../support/partners.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
  const domains = await openDomains(hub.services);
  await seedDemoAlliance(hub.services, domains);
  await domains.ledger.close();
});
afterAll(async () => {
  await hub.close();
});

type Period = { id: string; status: string };
type Summary = {
  hubFeesMinor: number;
  matrix: { payerId: string; payeeId: string; amountMinor: number }[];
  partners: { partnerId: string; netMinor: number }[];
};

describe('the demo alliance’s settlement', () => {
  it('settles the demo day; finance approves it and marks it paid through the API', async () => {
    expect(await runSettlement(hub.services.db, hub.services.clock)).toMatchObject({ computed: 1 });
    const call = staffClient(createApp(hub.services), await staffToken(hub, 'finance'));
    const { periods } = (await (await call('GET', '/v1/finance/periods')).json()) as {
      periods: Period[];
    };
    expect(periods.map((p) => p.status)).toEqual(['computed']);
    const id = periods[0]?.id ?? '';

    const summary = (await (await call('GET', `/v1/finance/periods/${id}`)).json()) as Summary;
    const partners = await hub.services.db.selectFrom('partners').select(['id', 'code']).execute();
    const idOf = (code: string) => partners.find((p) => p.code === code)?.id;
    // Li Wei spent 300 points earned at Jade Tea at Harbor Cinema: Jade Tea owes 300 fen, and
    // the hub its 2% fee (6 fen). Everyone's net and the hub's fees add up to zero.
    expect(summary.matrix).toEqual([
      { payerId: idOf('jade-tea'), payeeId: idOf('harbor-cinema'), amountMinor: 300 },
    ]);
    expect(summary.hubFeesMinor).toBe(6);
    expect(summary.partners.reduce((s, p) => s + p.netMinor, 0) + summary.hubFeesMinor).toBe(0);

    expect((await call('POST', `/v1/finance/periods/${id}/approve`)).status).toBe(200);
    const payments = summary.partners
      .filter((p) => p.netMinor !== 0)
      .map((p, i) => ({ partnerId: p.partnerId, reference: `DEMO-PAY-${i}` }));
    // Four eyes: another finance user releases the money.
    const payer = await staffToken(hub, 'finance');
    const paid = await call('POST', `/v1/finance/periods/${id}/paid`, { payments }, payer);
    expect(await paid.json()).toMatchObject({ status: 'paid' });
    expect(await verifyLedger(hub.services.db)).toEqual([]);
  });
});
