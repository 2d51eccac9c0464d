import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningGateway } from '../../gateway/index.ts';
import { listWebhookEndpoints, updateWebhookEndpoint } from '../../partners/index.ts';
import { runSettlement } from '../../settlement/index.ts';
import { type DemoHub, freePort, startDemoHub } from '../support/demo-hub.ts';
import { startChild, stopChildren } from '../support/processes.ts';

/**
 * The demo as the README tells it: the seeded partners are subscribed to the sample receiver
 * (npm run webhooks:receive), which verifies and prints what the hub's workers post.
 */
const receiverPath = fileURLToPath(new URL('../../scripts/webhook-receiver.ts', import.meta.url));
let hub: DemoHub;
let gateway: RunningGateway;

beforeAll(async () => {
  hub = await startDemoHub();
  gateway = hub.gateway;
});
afterAll(async () => {
  await stopChildren();
  await hub.close();
});

it("prints the demo period's settlement events for the partners in it, verified", async () => {
  const partners = await hub.services.db.selectFrom('partners').select(['id', 'code']).execute();
  // The demo subscribes every demo partner at port 4000; this test's receiver has its own port.
  const port = await freePort();
  for (const p of partners) {
    const [endpoint] = await listWebhookEndpoints(hub.services.db, p.id);
    expect(endpoint?.url).toBe(`http://127.0.0.1:4000/${p.code}`);
    await updateWebhookEndpoint(hub.services.db, hub.config, {
      partnerId: p.id,
      endpointId: endpoint?.id ?? '',
      patch: { url: `http://127.0.0.1:${port}/${p.code}` },
      now: new Date(),
    });
  }
  const receiver = startChild(process.execPath, [receiverPath], {
    HUB_URL: gateway.url,
    WEBHOOK_RECEIVER_PORT: String(port),
  });
  await receiver.line(/webhook receiver on/);

  expect(await runSettlement(hub.services.db, hub.services.clock)).toMatchObject({ computed: 1 });
  // Li Wei's points from Jade Tea were spent at Harbor Cinema: both are in the period.
  await receiver.line(/\/jade-tea settlement\.period_computed .*"netMinor":-306/);
  await receiver.line(/\/harbor-cinema settlement\.period_computed .*"netMinor":300/);
  expect(receiver.output()).not.toMatch(/refused/);
});
