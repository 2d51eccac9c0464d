import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import { webhookJobs } from '../../partners/index.ts';
import { type RunningWorkers, startWorkers } from '../../platform/index.ts';
import { verifyHubWebhook, WebhookVerificationError } from '../../sdk/index.ts';
import { type CounterFixture, counterFixture } from '../support/counter.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import {
  idempotencyKey,
  newTestPartner,
  type SignedCall,
  signedFetch,
  type TestApp,
  type TestPartner,
} from '../support/partners.ts';
import { waitFor } from '../support/wait.ts';
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts';

/**
 * Webhooks end to end: a partner registers an endpoint through the signed API, something
 * happens at the till, the hub's own workers post it to a receiver on loopback.
 */
let hub: TestHub;
let app: TestApp;
let workers: RunningWorkers;
let receiver: Receiver;
let partner: TestPartner;
let fixture: CounterFixture;

beforeAll(async () => {
  hub = await createTestHub({
    env: {
      WEBHOOK_ALLOW_PRIVATE: '1',
      WEBHOOK_TIMEOUT_MS: '2000',
      WEBHOOK_RETRY_BASE_MS: '200',
      WEBHOOK_RETRY_FOR_MS: '4000',
    },
  });
  app = createApp(hub.services);
  workers = await startWorkers(hub.services, webhookJobs);
  receiver = await startReceiver();
  partner = await newTestPartner(hub);
  fixture = await counterFixture(hub, partner.partner.id, { members: 2 });
});
afterAll(async () => {
  await workers.stop();
  await receiver.close();
  await fixture.ledger.close();
  await hub.close();
});

async function call(call: SignedCall, as: TestPartner = partner) {
  const res = await signedFetch(hub, app, as.key, {
    ...call,
    idempotencyKey: call.method === 'POST' ? idempotencyKey() : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function subscribe(url: string, eventTypes: string[], as: TestPartner = partner) {
  const res = await call(
    { method: 'POST', path: '/v1/partner/webhooks', body: { url, eventTypes } },
    as,
  );
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** A hold voided at the till: the hold.voided event's id, once the hub has written it. */
async function voidAHold(as: TestPartner = partner, f: CounterFixture = fixture) {
  const holdId = await f.authorise(5);
  const res = await call({ method: 'POST', path: `/v1/partner/redemptions/${holdId}/void` }, as);
  expect(res.status).toBe(200);
  const event = await hub.services.db
    .selectFrom('events')
    .select('id')
    .where('type', '=', 'hold.voided')
    .where(({ eb, ref }) => eb(ref('data', '->>').key('holdId'), '=', holdId))
    .executeTakeFirstOrThrow();
  return { holdId, eventId: event.id };
}

async function deliveriesOf(eventId: string, as: TestPartner = partner) {
  const res = await call(
    { method: 'GET', path: `/v1/partner/webhook-deliveries?eventId=${eventId}` },
    as,
  );
  return res.body.deliveries as Array<Record<string, unknown>>;
}

function waitForDelivery(eventId: string, status: string) {
  return waitFor(`a ${status} delivery of ${eventId}`, async () => {
    const [d] = await deliveriesOf(eventId);
    return d?.status === status ? d : undefined;
  });
}

describe('webhooks', () => {
  it('delivers a hold voided at the till once, signed by the hub as the SDK verifies', async () => {
    const endpointId = await subscribe(receiver.url, ['hold.voided']);
    const { holdId, eventId } = await voidAHold();
    await waitFor('the voided hold at the receiver', () => receiver.of(eventId).length === 1);
    const [got] = receiver.of(eventId);
    const jwks = await hub.services.hubSigner.jwks();
    const verified = await verifyHubWebhook(
      got?.body ?? '',
      String(got?.headers['hub-webhook-signature']),
      jwks,
      { partnerId: partner.partner.id },
    );
    expect(verified.event).toMatchObject({
      id: eventId,
      type: 'hold.voided',
      partnerId: partner.partner.id,
      data: { holdId, points: 5 },
    });
    expect(verified.signature).toMatchObject({ endpointId, eventId, eventType: 'hold.voided' });
    expect(got?.headers['hub-event-id']).toBe(eventId);

    // A later event arriving proves the first was not sent again meanwhile.
    const later = await voidAHold();
    await waitFor('the later event', () => receiver.of(later.eventId).length === 1);
    expect(receiver.of(eventId)).toHaveLength(1);
    const [delivery] = await deliveriesOf(eventId);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 200 });
  });

  it('refuses a webhook whose body or partner is not the signed one', async () => {
    const { eventId } = await voidAHold();
    await waitFor('the event at the receiver', () => receiver.of(eventId).length === 1);
    const [got] = receiver.of(eventId);
    const signature = String(got?.headers['hub-webhook-signature']);
    const jwks = await hub.services.hubSigner.jwks();
    const tampered = (got?.body ?? '').replace('"points":5', '"points":500');
    await expect(verifyHubWebhook(tampered, signature, jwks)).rejects.toThrow(
      WebhookVerificationError,
    );
    await expect(
      verifyHubWebhook(got?.body ?? '', signature, jwks, {
        partnerId: fixture.members[0]?.memberId,
      }),
    ).rejects.toThrow('another partner');
    await expect(
      verifyHubWebhook(got?.body ?? '', signature, jwks, {
        now: new Date(Date.now() + 3_600_000),
      }),
    ).rejects.toThrow('too old');
  });

  it('retries a failing endpoint with backoff and logs every attempt', async () => {
    receiver.answerWith(500, 503);
    const { eventId } = await voidAHold();
    const delivery = await waitForDelivery(eventId, 'delivered');
    expect(delivery).toMatchObject({ attempts: 3, lastStatus: 200, lastError: null });
    const detail = await call({
      method: 'GET',
      path: `/v1/partner/webhook-deliveries/${delivery.id}`,
    });
    const log = detail.body.attemptLog as Array<{ statusCode: number; error: string | null }>;
    expect(log.map((a) => a.statusCode)).toEqual([500, 503, 200]);
    expect(log[0]?.error).toBe('the endpoint answered 500');
    const times = receiver.of(eventId).map((r) => r.at);
    expect(times).toHaveLength(3);
    // Backoff: the second wait is at least the first retry's least delay (100 ms of a 200 base).
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(100);
  });

  it('gives up once the retry window has passed, and a redelivery sends it again', async () => {
    const down = await startReceiver();
    try {
      down.answerAlways(500);
      const endpointId = await subscribe(down.url, ['hold.voided']);
      const { eventId } = await voidAHold();
      const failed = await waitFor('the delivery to the endpoint that is down to fail', async () =>
        (await deliveriesOf(eventId)).find((d) => d.status === 'failed'),
      );
      expect(failed.attempts as number).toBeGreaterThanOrEqual(2);
      expect(failed).toMatchObject({ lastStatus: 500, nextAttemptAt: null });
      const tries = down.of(eventId).length;
      expect(tries).toBe(failed.attempts);

      down.answerAlways(200);
      const again = await call({
        method: 'POST',
        path: `/v1/partner/webhook-deliveries/${failed.id}/redeliver`,
      });
      expect(again.status).toBe(201);
      expect(again.body).toMatchObject({ status: 'pending', redeliveryOf: failed.id });
      await waitFor('the redelivery', () => down.of(eventId).length === tries + 1);
      expect(down.of(eventId).at(-1)?.headers['hub-delivery-id']).toBe(again.body.id);
      expect(down.of(eventId).at(-1)?.body).toBe(down.of(eventId)[0]?.body);
      await waitFor('the redelivery recorded as delivered', async () =>
        (await deliveriesOf(eventId)).some(
          (d) => d.id === again.body.id && d.status === 'delivered',
        ),
      );
      await call({ method: 'DELETE', path: `/v1/partner/webhooks/${endpointId}` });
    } finally {
      await down.close();
    }
  });

  it('tells only the partner concerned, and only of the types it chose', async () => {
    const other = await newTestPartner(hub);
    const otherReceiver = await startReceiver();
    try {
      await subscribe(otherReceiver.url, ['hold.voided', 'redemption.captured'], other);
      const refundsOnly = await startReceiver();
      await subscribe(refundsOnly.url, ['refund.booked']);
      const mine = await voidAHold();
      const otherFixture = await counterFixture(hub, other.partner.id, { members: 1 });
      const theirs = await voidAHold(other, otherFixture);
      await otherFixture.ledger.close();
      await waitFor(
        'their own event at the other receiver',
        () => otherReceiver.of(theirs.eventId).length === 1,
      );
      await waitFor('mine at mine', () => receiver.of(mine.eventId).length === 1);
      expect(otherReceiver.of(mine.eventId)).toHaveLength(0);
      expect(refundsOnly.received).toHaveLength(0);
      expect(await deliveriesOf(mine.eventId, other)).toEqual([]);
      await refundsOnly.close();
    } finally {
      await otherReceiver.close();
    }
  });

  it('lists, changes and deletes endpoints; a deleted endpoint gets nothing more', async () => {
    const second = await startReceiver();
    try {
      const id = await subscribe(second.url, ['refund.booked']);
      const changed = await call({
        method: 'PATCH',
        path: `/v1/partner/webhooks/${id}`,
        body: { eventTypes: ['hold.voided', 'hold.voided'], description: 'till backend' },
      });
      expect(changed.body).toMatchObject({
        eventTypes: ['hold.voided'],
        description: 'till backend',
      });
      const first = await voidAHold();
      await waitFor(
        'the event at the changed endpoint',
        () => second.of(first.eventId).length === 1,
      );

      expect((await call({ method: 'DELETE', path: `/v1/partner/webhooks/${id}` })).status).toBe(
        204,
      );
      expect((await call({ method: 'DELETE', path: `/v1/partner/webhooks/${id}` })).status).toBe(
        204,
      );
      const listed = await call({ method: 'GET', path: '/v1/partner/webhooks' });
      const ids = (listed.body.endpoints as Array<{ id: string }>).map((e) => e.id);
      expect(ids).not.toContain(id);
      const next = await voidAHold();
      await waitFor(
        'the next event at the first receiver',
        () => receiver.of(next.eventId).length === 1,
      );
      expect(second.of(next.eventId)).toHaveLength(0);
      const patchDeleted = await call({
        method: 'PATCH',
        path: `/v1/partner/webhooks/${id}`,
        body: { status: 'active' },
      });
      expect(patchDeleted.status).toBe(404);
    } finally {
      await second.close();
    }
  });

  it('refuses an endpoint of another partner, a bad URL and unknown event types', async () => {
    const other = await newTestPartner(hub);
    const theirs = await subscribe(receiver.url, ['hold.voided'], other);
    const touch = await call({ method: 'DELETE', path: `/v1/partner/webhooks/${theirs}` });
    expect(touch.status).toBe(404);
    for (const [body, field] of [
      [{ url: 'ftp://example.com/x', eventTypes: ['hold.voided'] }, 'url'],
      [{ url: 'https://user:pw@example.com/x', eventTypes: ['hold.voided'] }, 'url'],
      [{ url: receiver.url, eventTypes: ['hold.kept'] }, 'eventTypes.0'],
      [{ url: receiver.url, eventTypes: [] }, 'eventTypes'],
    ] as const) {
      const res = await call({ method: 'POST', path: '/v1/partner/webhooks', body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
    }
  });
});
