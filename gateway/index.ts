export { createApp } from './app.ts';
export type { HubEnv } from './context.ts';
export { type RunningGateway, startGateway } from './server.ts';
