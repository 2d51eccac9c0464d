import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuePayCode } from '../../members/index.ts';
import { createPartnerClient, type PartnerClient } from '../../sdk/index.ts';
import { type CounterFixture, counterFixture } from '../support/counter.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { type HubProcess, startHubProcess } from '../support/hub-process.ts';
import { expectSoundLedger } from '../support/ledger.ts';
import {
  idempotencyKey,
  newTestPartner,
  type TestPartner,
  uniqueCode,
} from '../support/partners.ts';
import { freePort } from '../support/redis-server.ts';

// Tills stream purchases and redemptions at a hub that is killed (SIGKILL) again and again,
// and retry each request as docs/signing.md says: the same Idempotency-Key and body until a
// final answer. Members' tiers rise while it happens. Afterwards, what each till was finally
// told is exactly what the ledger holds: a purchase is booked if and only if it was answered
// 200, with the points that answer named; a redemption likewise; and a purchase asked again
// under a new key is told its first answer, not one computed from the tier it has now.

const tills = 12;
const requestsPerTill = 30;
const killEveryAnswers = 60;
const killsMax = 5;

let hub: TestHub;
let partner: TestPartner;
let till: CounterFixture;
let port: number;
let hubProcess: HubProcess | undefined;
let hubUp: Promise<void>;

function start(): Promise<void> {
  hubUp = startHubProcess(hub, { PORT: String(port), LOG_LEVEL: 'info' }).then((p) => {
    hubProcess = p;
  });
  return hubUp;
}

beforeAll(async () => {
  hub = await createTestHub();
  partner = await newTestPartner(hub);
  till = await counterFixture(hub, partner.partner.id, { members: 12, points: 20_000 });
  port = await freePort();
  await start();
});
afterAll(async () => {
  hubProcess?.child.kill('SIGKILL');
  await hub.close();
});

type Final = { status: number; body: Record<string, unknown> };

/** Retries with the same key and body until an answer that is final (not 409, 429, 5xx). */
async function untilFinal(client: PartnerClient, path: string, body: unknown): Promise<Final> {
  const key = idempotencyKey();
  let last: unknown;
  for (let attempt = 0; attempt < 200; attempt += 1) {
    await hubUp;
    try {
      const res = await client.post(path, body, key);
      const answer = { status: res.status, body: (await res.json()) as Record<string, unknown> };
      if (res.status !== 409 && res.status !== 429 && res.status < 500) return answer;
      last = answer;
    } catch (error) {
      // The hub died under the request: wait for it to be back, then send it again.
      last = error;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`no final answer for ${path}: ${JSON.stringify(last)}`);
}

type Purchase = ReturnType<CounterFixture['purchase']>;
type Told = {
  purchases: Array<{ body: Purchase; final: Final }>;
  redemptions: Array<{ orderId: string; final: Final }>;
};

describe('a hub killed repeatedly under load', () => {
  it('tells every till exactly what the ledger holds', async () => {
    const client = createPartnerClient({ baseUrl: `http://127.0.0.1:${port}`, key: partner.key });
    const told: Told = { purchases: [], redemptions: [] };
    let answered = 0;
    let kills = 0;
    const killer = async () => {
      answered += 1;
      if (answered % killEveryAnswers !== 0 || kills >= killsMax || !hubProcess) return;
      kills += 1;
      const dying = hubProcess;
      hubProcess = undefined;
      dying.child.kill('SIGKILL');
      await dying.exit;
      await start();
    };
    const runTill = async (t: number) => {
      for (let i = 0; i < requestsPerTill; i += 1) {
        const m = till.members[(t + i) % till.members.length];
        if (!m) throw new Error('no member');
        if (i % 5 === 4) {
          const orderId = uniqueCode('R');
          const final = await untilFinal(client, '/v1/partner/redemptions', {
            payCode: (await issuePayCode(hub.services, m.memberId)).code,
            storeCode: till.storeCode,
            orderId,
            orderAmountMinor: 10_000,
            points: 100 + t,
          });
          told.redemptions.push({ orderId, final });
        } else {
          // 150 CNY a purchase: each member passes 500 CNY (1-star) during the run.
          const body = till.purchase({
            amountMinor: 15_000 + t,
            member: { customerId: m.customerId },
          });
          told.purchases.push({
            body,
            final: await untilFinal(client, '/v1/partner/accruals', body),
          });
        }
        await killer();
      }
    };
    await Promise.all(Array.from({ length: tills }, (_, t) => runTill(t)));
    expect(kills).toBe(killsMax);

    const db = hub.services.db;
    const booked = new Map(
      (await db.selectFrom('counter_purchases').select(['order_id', 'points']).execute()).map(
        (r) => [r.order_id, r.points],
      ),
    );
    for (const { body, final } of told.purchases) {
      expect({ order: body.orderId, status: final.status }).toEqual({
        order: body.orderId,
        status: 200,
      });
      expect(booked.get(body.orderId)).toBe(final.body.points);
    }
    const redeemed = new Map(
      (
        await db
          .selectFrom('counter_redemptions')
          .select(['order_id', 'points', 'entry_id'])
          .execute()
      ).map((r) => [r.order_id, r]),
    );
    for (const { orderId, final } of told.redemptions) {
      const row = redeemed.get(orderId);
      if (final.status === 200) expect(row?.points).toBe(final.body.points);
      else expect({ orderId, row }).toEqual({ orderId, row: undefined });
    }
    const tiers = await db
      .selectFrom('members')
      .select('tier_code')
      .where('tier_code', '<>', 'ordinary')
      .execute();
    expect(tiers.length).toBeGreaterThan(0);

    // Asked again under a new key once the tiers have risen: each purchase's first answer.
    for (const { body, final } of told.purchases.slice(0, 24)) {
      const again = await untilFinal(client, '/v1/partner/accruals', body);
      expect(again.body).toEqual(final.body);
    }
    await expectSoundLedger(till.ledger);
  });
});
