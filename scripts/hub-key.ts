/**
 * npm run hub-key -- rotate            a new active signing key for the hub; the one it replaces
 *                                      stays in the JWKS (retiring), so what it signed verifies
 * npm run hub-key -- list              the hub's keys: kid, status, since when
 * npm run hub-key -- retire --kid K    takes a retiring key out of the JWKS: receipts and
 *                                      webhooks it signed no longer verify against the JWKS
 *
 * Running hubs sign with the new key within a minute (their key cache); receipts, webhooks and
 * member sessions signed before keep verifying.
 */
import { parseArgs } from 'node:util';
import { recordAudit, retireHubKey, rotateHubKey } from '../platform/index.ts';
import { runCli, UsageError } from './cli.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { kid: { type: 'string' } },
});

const actor = { kind: 'system' as const, id: 'cli:hub-key' };

await runCli('hub-key', async (db) => {
  const command = positionals[0];
  if (command === 'rotate') {
    const kid = await rotateHubKey(db);
    await recordAudit(db, { actor, action: 'hub_key.rotate', subject: kid, at: new Date() });
    console.log(`hub-key: ${kid} signs from now on (running hubs: within a minute)`);
  } else if (command === 'list') {
    const keys = await db
      .selectFrom('hub_keys')
      .select(['kid', 'status', 'created_at', 'retired_at'])
      .orderBy('created_at')
      .execute();
    for (const k of keys)
      console.log(`${k.kid}  ${k.status.padEnd(8)}  ${k.created_at.toISOString()}`);
  } else if (command === 'retire') {
    if (!values.kid) throw new UsageError('--kid is required');
    const retired = await retireHubKey(db, values.kid, new Date());
    if (!retired)
      throw new UsageError(`no retiring key "${values.kid}" (the active one cannot be retired)`);
    await recordAudit(db, { actor, action: 'hub_key.retire', subject: values.kid, at: new Date() });
    console.log(`hub-key: ${values.kid} retired; it is no longer in the JWKS`);
  } else {
    throw new UsageError('use rotate, list or retire --kid <kid>');
  }
});
