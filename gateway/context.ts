import type { Logger, Services } from '../platform/index.ts';

/** What Hono's context carries for every request. */
export type HubEnv = {
  Variables: {
    services: Services;
    logger: Logger;
    requestId: string;
  };
};
