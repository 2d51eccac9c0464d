import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import type { Ledger } from '../../ledger/index.ts';
import { issueMemberSession } from '../../members/index.ts';
import { type CounterFixture, counterFixture } from '../support/counter.ts';
import { databaseUrlFor } from '../support/env.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { expectSoundLedger, ledgerFor } from '../support/ledger.ts';
import {
  idempotencyKey,
  newTestPartner,
  type SignedCall,
  signedFetch,
  staffToken,
  type TestApp,
  type TestPartner,
} from '../support/partners.ts';
import { waitFor } from '../support/wait.ts';

/**
 * PostgreSQL going away under a running hub. The server is shared with every other test file,
 * so it is not restarted: this file's database refuses new connections and its sessions are
 * terminated, which is what the hub sees of a restart (57P01, then refused connections).
 */

/** "Quickly": a request during the outage is answered within this, never left hanging. */
const answerWithinMs = 3_000;

let hub: TestHub;
let app: TestApp;
let ledger: Ledger;
let admin: postgres.Sql;
let database: string;
let alice: TestPartner;
let counter: CounterFixture;
let memberToken: string;
let financeToken: string;

beforeAll(async () => {
  hub = await createTestHub();
  ledger = ledgerFor(hub);
  app = createApp(hub.services, { ledger });
  database = new URL(hub.config.databaseUrl).pathname.slice(1);
  admin = postgres(databaseUrlFor(hub.config.databaseUrl, 'postgres'), {
    max: 1,
    onnotice: () => {},
  });
  alice = await newTestPartner(hub, { rateLimitPerMinute: 100_000 });
  counter = await counterFixture(hub, alice.partner.id, { members: 6, points: 0 });
  const first = counter.members[0]?.memberId ?? '';
  memberToken = (await issueMemberSession(hub.services, first)).token;
  financeToken = await staffToken(hub, 'finance');
});
afterAll(async () => {
  await admin?.unsafe(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`);
  await admin?.end();
  await ledger?.close();
  await hub?.close();
});

/** The database stops taking connections and every session of it is ended. */
async function takeDatabaseDown(): Promise<void> {
  await admin.unsafe(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`);
  await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE datname = ${database} AND pid <> pg_backend_pid()`;
}

async function bringDatabaseBack(): Promise<void> {
  await admin.unsafe(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`);
}

type Timed = {
  status: number;
  type?: string;
  contentType: string | null;
  retryAfter: string | null;
  ms: number;
};

async function timed(request: () => Promise<Response>): Promise<Timed> {
  const startedMs = Date.now();
  const res = await request();
  const body = (await res.json().catch(() => ({}))) as { type?: string };
  return {
    status: res.status,
    type: body.type,
    contentType: res.headers.get('content-type'),
    retryAfter: res.headers.get('retry-after'),
    ms: Date.now() - startedMs,
  };
}

function partnerCall(call: SignedCall): () => Promise<Response> {
  return () => signedFetch(hub, app, alice.key, call);
}

function bearer(path: string, token: string): () => Promise<Response> {
  return () =>
    Promise.resolve(app.request(path, { headers: { authorization: `Bearer ${token}` } }));
}

/** A purchase as a till sends it, the same body on every try (a fresh Idempotency-Key each). */
function purchase(orderId: string, customerId: string, amountMinor: number) {
  return counter.purchase({ orderId, amountMinor, member: { customerId } });
}

function accrual(body: ReturnType<typeof purchase>): SignedCall {
  return { method: 'POST', path: '/v1/partner/accruals', idempotencyKey: idempotencyKey(), body };
}

it('while the database is down, partner, member and staff requests get a quick 503 problem; the hub comes back by itself', async () => {
  const customerId = counter.members[1]?.customerId ?? '';
  const memberId = counter.members[1]?.memberId ?? '';
  const refused = purchase('DOWN-1', customerId, 10_000);
  await takeDatabaseDown();
  let answers: Timed[];
  try {
    answers = [];
    for (const request of [
      partnerCall(accrual(refused)),
      partnerCall({ method: 'GET', path: `/v1/partner/members?customerId=${customerId}` }),
      bearer('/v1/me', memberToken),
      bearer('/v1/me/activity', memberToken),
      bearer('/v1/finance/periods', financeToken),
    ]) {
      answers.push(await timed(request));
    }
  } finally {
    await bringDatabaseBack();
  }
  for (const answer of answers) {
    expect(answer).toMatchObject({
      status: 503,
      type: '/docs/problems#unavailable',
      contentType: 'application/problem+json',
      retryAfter: '1',
    });
    expect(answer.ms).toBeLessThan(answerWithinMs);
  }

  // No restart: the same hub answers again once the database does.
  await waitFor('the member API to answer again', async () => {
    return (await bearer('/v1/me', memberToken)()).status === 200;
  });
  const retried = await timed(partnerCall(accrual(refused)));
  expect(retried.status).toBe(200);
  // The accrual refused with 503 did not apply: only the retry's points are there.
  expect((await ledger.memberPoints(memberId)).balance).toBe(100);
  await expectSoundLedger(ledger);
});

type Order = { orderId: string; customerId: string; memberId: string; amountMinor: number };
type Outcome = { order: Order; points?: number; statuses: number[]; slowest503Ms: number };

/** A till that sends its orders one after another and retries each until it is answered. */
async function till(orders: Order[], outcomes: Outcome[]): Promise<void> {
  for (const order of orders) {
    const outcome: Outcome = { order, statuses: [], slowest503Ms: 0 };
    outcomes.push(outcome);
    const body = purchase(order.orderId, order.customerId, order.amountMinor);
    for (;;) {
      const startedMs = Date.now();
      const res = await signedFetch(hub, app, alice.key, accrual(body));
      outcome.statuses.push(res.status);
      const answer = (await res.json()) as { points?: number };
      if (res.status === 200) {
        outcome.points = answer.points;
        break;
      }
      if (res.status !== 503) break;
      outcome.slowest503Ms = Math.max(outcome.slowest503Ms, Date.now() - startedMs);
      // A till pauses before it tries again.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

it('accruals streamed through an outage: every acknowledged one is in the ledger exactly once, none answered 500', async () => {
  const orders = (till: number): Order[] =>
    Array.from({ length: 25 }, (_, i) => {
      const member = counter.members[till] ?? { customerId: '', memberId: '' };
      return { orderId: `LOAD-${till}-${i}`, ...member, amountMinor: 1_000 + 100 * i };
    });
  const outcomes: Outcome[] = [];
  const tills = [2, 3, 4, 5].map((t) => till(orders(t), outcomes));

  await waitFor('some accruals to be acknowledged', () => outcomes.length >= 12);
  await takeDatabaseDown();
  try {
    await waitFor('the tills to be refused, again and again, while it is down', () => {
      return outcomes.flatMap((o) => o.statuses).filter((s) => s === 503).length >= 40;
    });
  } finally {
    await bringDatabaseBack();
  }
  await Promise.all(tills);

  expect(outcomes).toHaveLength(100);
  for (const outcome of outcomes) {
    expect(outcome.statuses.at(-1)).toBe(200);
    expect(outcome.statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(outcome.slowest503Ms).toBeLessThan(answerWithinMs);
  }
  for (const t of [2, 3, 4, 5]) {
    const mine = outcomes.filter((o) => o.order.orderId.startsWith(`LOAD-${t}-`));
    const acknowledged = mine.reduce((sum, o) => sum + (o.points ?? 0), 0);
    const memberId = counter.members[t]?.memberId ?? '';
    expect((await ledger.memberPoints(memberId)).balance).toBe(acknowledged);
  }
  await expectSoundLedger(ledger);
});
