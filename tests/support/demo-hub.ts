import { createServer } from 'node:net';
import { openDomains } from '../../domains.ts';
import { type RunningGateway, startGateway } from '../../gateway/index.ts';
import { webhookJobs } from '../../partners/index.ts';
import { type RunningWorkers, startWorkers } from '../../platform/index.ts';
import { seedDemoAlliance } from '../../scripts/demo-alliance.ts';
import { createTestHub, type TestHub } from './hub.ts';

export type DemoHub = TestHub & { gateway: RunningGateway; workers: RunningWorkers };

/**
 * A test hub as `npm start` makes it: the demo alliance seeded, a listening gateway, and the
 * webhook workers; loopback webhook endpoints allowed, as in demo mode.
 */
export async function startDemoHub(): Promise<DemoHub> {
  const hub = await createTestHub({ env: { WEBHOOK_ALLOW_PRIVATE: '1' } });
  const domains = await openDomains(hub.services);
  await seedDemoAlliance(hub.services, domains);
  await domains.ledger.close();
  const gateway = await startGateway(hub.services);
  const workers = await startWorkers(hub.services, webhookJobs);
  return {
    ...hub,
    gateway,
    workers,
    close: async () => {
      await workers.stop();
      await gateway.stop();
      await hub.close();
    },
  };
}

/** A loopback port free right now, for a child process to listen on. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}
