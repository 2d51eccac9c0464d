import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  createWebhookEndpoint,
  getWebhookDelivery,
  listWebhookDeliveries,
} from '../../partners/index.ts';
import { newId } from '../../platform/index.ts';
import { verifyHubWebhook } from '../../sdk/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { accrueFor, farFuture, holdFor, key, ledgerFor } from '../support/ledger.ts';
import { newTestPartner } from '../support/partners.ts';
import { startChild, stopChildren } from '../support/processes.ts';
import { waitFor } from '../support/wait.ts';
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts';

/**
 * A worker killed mid-delivery (the endpoint has the event, the hub has not yet recorded that
 * it does) loses nothing: another worker delivers the event again once the attempt's deadline
 * passes, with the same body and delivery id, so the partner can tell it already has it.
 */
const childPath = fileURLToPath(new URL('../support/jobs-child.ts', import.meta.url));
const webhookEnv = {
  WEBHOOK_ALLOW_PRIVATE: '1',
  WEBHOOK_TIMEOUT_MS: '1000',
  WEBHOOK_RETRY_BASE_MS: '200',
};

let hub: TestHub;
let receiver: Receiver;
beforeAll(async () => {
  hub = await createTestHub({ env: webhookEnv });
  receiver = await startReceiver();
});
afterEach(async () => {
  await stopChildren();
});
afterAll(async () => {
  await receiver.close();
  await hub.close();
});

function worker(env: Record<string, string> = {}) {
  return startChild(
    process.execPath,
    [childPath, 'webhook-dispatch,webhook-deliveries', '1000', '500'],
    {
      DATABASE_URL: hub.config.databaseUrl,
      REDIS_URL: hub.config.redisUrl,
      REDIS_KEY_PREFIX: hub.config.redisKeyPrefix,
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      ...webhookEnv,
      ...env,
    },
  );
}

it('delivers an event again after its worker is killed between posting it and recording it', async () => {
  const { partner } = await newTestPartner(hub);
  const endpoint = await createWebhookEndpoint(hub.services.db, hub.config, {
    partnerId: partner.id,
    endpoint: { url: receiver.url, eventTypes: ['hold.voided'] },
    now: new Date(),
  });
  const ledger = ledgerFor(hub);
  const member = newId();
  await accrueFor(ledger, partner.id, member, 100, farFuture);
  const { holdId } = await holdFor(ledger, partner.id, member, 40, farFuture);
  await ledger.voidHold({ partnerId: partner.id, holdId, idempotencyKey: key('void') });
  await ledger.close();

  const first = worker({ HUB_KILL_POINT: 'webhook-after-post' });
  const died = once(first.process, 'exit');
  const [, signal] = (await died) as [number | null, string | null];
  expect(signal).toBe('SIGKILL');
  expect(receiver.received).toHaveLength(1);
  const [delivery] = await listWebhookDeliveries(hub.services.db, {
    partnerId: partner.id,
    endpointId: endpoint.id,
    limit: 10,
  });
  expect(delivery).toMatchObject({ status: 'pending', attempts: 1 });
  const cut = await getWebhookDelivery(hub.services.db, partner.id, delivery?.id ?? '');
  expect(cut.attemptLog).toEqual([
    expect.objectContaining({ attempt: 1, durationMs: null, statusCode: null }),
  ]);

  worker();
  const done = await waitFor(
    'the delivery to be completed by the second worker',
    async () => {
      const d = await getWebhookDelivery(hub.services.db, partner.id, delivery?.id ?? '');
      return d.status === 'delivered' ? d : undefined;
    },
    20_000,
  );
  expect(done.attempts).toBe(2);
  expect(done.attemptLog.map((a) => a.statusCode)).toEqual([null, 200]);
  const [once1, once2] = receiver.received;
  expect(receiver.received).toHaveLength(2);
  expect(once2?.body).toBe(once1?.body);
  expect(once2?.headers['hub-delivery-id']).toBe(once1?.headers['hub-delivery-id']);
  const { event } = await verifyHubWebhook(
    once2?.body ?? '',
    String(once2?.headers['hub-webhook-signature']),
    await hub.services.hubSigner.jwks(),
    { partnerId: partner.id },
  );
  expect(event).toMatchObject({ type: 'hold.voided', data: { holdId, points: 40 } });
});
