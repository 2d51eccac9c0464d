import { type ServerType, serve } from '@hono/node-server';
import { listenForPartnerChanges } from '../partners/index.ts';
import type { Services } from '../platform/index.ts';
import { type AppDomains, createApp } from './app.ts';

export type RunningGateway = {
  url: string;
  /** Stops taking connections, lets requests in flight finish, then resolves. */
  stop(): Promise<void>;
};

export async function startGateway(
  services: Services,
  domains: AppDomains = {},
): Promise<RunningGateway> {
  const app = createApp(services, domains);
  // Revocations and suspensions made by any process reach this one's key cache at once.
  const partnerChanges = await listenForPartnerChanges(services);
  const { host, port } = services.config;
  const server: ServerType = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(s));
    s.once('error', reject);
  }).catch(async (error: unknown) => {
    await partnerChanges.close();
    throw error;
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host}:${boundPort}`,
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive sockets would hold close() open; busy ones finish their request first.
        if ('closeIdleConnections' in server) server.closeIdleConnections();
      });
      await partnerChanges.close();
    },
  };
}
