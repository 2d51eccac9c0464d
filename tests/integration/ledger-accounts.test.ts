import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountDirectory } from '../../ledger/accounts.ts';
import { partnerPointsKey } from '../../ledger/index.ts';
import { newId } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(async () => {
  await hub.close();
});

const accountExists = async (id: string) =>
  (await hub.services.db
    .selectFrom('ledger_accounts')
    .select('id')
    .where('id', '=', id)
    .executeTakeFirst()) !== undefined;

describe('the account directory', () => {
  it('forgets an account made in a transaction that rolled back, and keeps one committed', async () => {
    const accounts = createAccountDirectory(hub.services.db);
    const key = partnerPointsKey(newId(), 'partner_redeemed');
    let madeInside = '';
    await expect(
      hub.services.db.transaction().execute(async (tx) => {
        [madeInside = ''] = await accounts.ids([key], tx);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await accountExists(madeInside)).toBe(false);

    // Asked again, the account is made anew rather than answered with the rolled-back id.
    const [made = ''] = await accounts.ids([key]);
    expect(made).not.toBe(madeInside);
    expect(await accountExists(made)).toBe(true);
    // Found committed inside a later transaction: the same id, and the one kept from then on.
    const inside = await hub.services.db
      .transaction()
      .execute(async (tx) => accounts.ids([key], tx));
    expect(inside).toEqual([made]);
  });
});
