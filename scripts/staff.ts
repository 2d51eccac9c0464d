/**
 * npm run staff -- create --name alice --role admin   a staff member; prints its API token once
 * npm run staff -- token --name alice                  another token for alice; printed once
 * npm run staff -- revoke --name alice                 revokes every token of alice
 */
import { parseArgs } from 'node:util';
import { createStaff, issueStaffToken, revokeStaffTokens, staffRoles } from '../gateway/index.ts';
import type { Db } from '../platform/index.ts';
import { runCli, UsageError } from './cli.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { name: { type: 'string' }, role: { type: 'string' } },
});

async function staffId(db: Db, name: string): Promise<string> {
  const staff = await db
    .selectFrom('staff')
    .select('id')
    .where('name', '=', name)
    .executeTakeFirst();
  if (!staff) throw new UsageError(`no staff member "${name}"`);
  return staff.id;
}

await runCli('staff', async (db) => {
  const name = values.name;
  if (!name) throw new UsageError('--name is required');
  const command = positionals[0];
  if (command === 'create') {
    const role = staffRoles.find((r) => r === values.role);
    if (!role) throw new UsageError(`--role must be one of ${staffRoles.join(', ')}`);
    const { token } = await createStaff(db, { name, role });
    console.log(`staff: created ${name} (${role}); API token (shown once):\n${token}`);
  } else if (command === 'token') {
    const token = await issueStaffToken(db, await staffId(db, name));
    console.log(`staff: new API token for ${name} (shown once):\n${token}`);
  } else if (command === 'revoke') {
    await revokeStaffTokens(db, await staffId(db, name), new Date());
    console.log(`staff: revoked every token of ${name}`);
  } else {
    throw new UsageError('use create, token or revoke');
  }
});
