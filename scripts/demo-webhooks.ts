import { createWebhookEndpoint, listWebhookEndpoints } from '../partners/index.ts';
import { type Db, eventTypeNames } from '../platform/index.ts';

/**
 * Every demo partner subscribes to every event type, at the sample receiver on loopback
 * (npm run webhooks:receive, scripts/webhook-receiver.ts): one path per partner. A partner
 * that has an endpoint already is left as it is.
 */
export const demoReceiverPort = 4000;

export async function seedDemoWebhooks(db: Db, partners: { id: string; code: string }[]) {
  // Demo mode allows loopback endpoints (platform/config.ts).
  const config = { webhooks: { allowPrivate: true } };
  for (const p of partners) {
    if ((await listWebhookEndpoints(db, p.id)).length > 0) continue;
    await createWebhookEndpoint(db, config, {
      partnerId: p.id,
      endpoint: {
        url: `http://127.0.0.1:${demoReceiverPort}/${p.code}`,
        eventTypes: [...eventTypeNames],
        description: 'the demo receiver (npm run webhooks:receive)',
      },
      now: new Date(),
    });
  }
}
