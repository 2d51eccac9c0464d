import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hubOwnerId, type Ledger } from '../../ledger/index.ts';
import {
  buyPaidMembership,
  closeMembership,
  createPaidPlan,
  demoPaymentProvider,
  enrolMember,
  findMemberById,
  membershipFeeRecorder,
  pointsForfeiter,
} from '../../members/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { accrueFor, expectSoundLedger, holdFor, ledgerFor } from '../support/ledger.ts';
import { newTestPartner, uniqueCode } from '../support/partners.ts';

let hub: TestHub;
let ledger: Ledger;
let partnerId: string;
beforeAll(async () => {
  hub = await createTestHub();
  ledger = ledgerFor(hub);
  partnerId = (await newTestPartner(hub)).partner.id;
  await createPaidPlan(hub.services.db, { code: 'plus', name: 'Plus', feeMinor: 29_900 });
});
afterEach(async () => {
  await expectSoundLedger(ledger);
});
afterAll(async () => {
  await ledger.close();
  await hub.close();
});

async function newMember(points: number): Promise<string> {
  const m = await enrolMember(hub.services, {
    email: `${uniqueCode('m').toLowerCase()}@example.test`,
  });
  if (points > 0) await accrueFor(ledger, partnerId, m.id, points);
  return m.id;
}

describe('the paid membership fee', () => {
  it('is one ledger entry in currency, once however often the payment is retried', async () => {
    const memberId = await newMember(0);
    const pay = () =>
      buyPaidMembership(
        {
          ...hub.services,
          paymentProvider: demoPaymentProvider(),
          recordMembershipFee: membershipFeeRecorder(ledger),
        },
        { memberId, planCode: 'plus', idempotencyKey: 'first-year', purpose: 'subscribe' },
      );
    await pay();
    await pay();
    const revenue = await ledger.accountId({
      ownerType: 'hub',
      ownerId: hubOwnerId,
      kind: 'hub_membership_revenue',
      asset: 'CNY',
    });
    const fees = await hub.services.db
      .selectFrom('ledger_entries')
      .select('id')
      .where('kind', '=', 'membership_fee')
      .where('member_id', '=', memberId)
      .execute();
    expect(fees).toHaveLength(1);
    // The only fee this file's database ever records: the revenue account holds exactly it.
    expect(await ledger.balanceAsOf(revenue, new Date(Date.now() + 60_000))).toBe(29_900);
  });
});

describe('closing a membership', () => {
  it("forfeits the member's points to the issuer's breakage", async () => {
    const memberId = await newMember(500);
    await closeMembership(hub.services, {
      memberId,
      reason: 'asked',
      forfeitPoints: pointsForfeiter(ledger),
    });
    expect(await ledger.memberPoints(memberId)).toEqual({ balance: 0, held: 0, available: 0 });
    expect((await findMemberById(hub.services.db, memberId))?.status).toBe('closed');
  });

  it('is refused while a counter holds points, and the membership stays open', async () => {
    const memberId = await newMember(500);
    await holdFor(ledger, partnerId, memberId, 100, new Date(Date.now() + 60_000));
    await expect(
      closeMembership(hub.services, {
        memberId,
        reason: 'asked',
        forfeitPoints: pointsForfeiter(ledger),
      }),
    ).rejects.toMatchObject({ type: 'conflict' });
    expect((await findMemberById(hub.services.db, memberId))?.status).toBe('active');
    expect((await ledger.memberPoints(memberId)).balance).toBe(500);
  });
});
