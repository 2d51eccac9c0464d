/**
 * npm run partner -- onboard --code jade-tea --name "Jade Tea House Co." --brand "Jade Tea" \
 *     --bank-account-name "Jade Tea House Co." --bank-account-number 6222021234567890 --currency CNY
 * npm run partner -- add-store --partner jade-tea --code SH-003 --name "Jade Tea Xintiandi"
 * npm run partner -- add-key --partner jade-tea --jwk '{"kty":"OKP","crv":"Ed25519","x":"...","kid":"pos-1"}'
 * npm run partner -- revoke-key --partner jade-tea --kid pos-1
 * npm run partner -- add-user --partner jade-tea --username jade-finance   (portal sign-in)
 * npm run partner -- list
 */
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import {
  addStore,
  createPartnerUser,
  keyCacheTtlMs,
  listPartners,
  NewStoreSchema,
  OnboardPartnerSchema,
  onboardPartner,
  PublicJwkSchema,
  publishPartnerChange,
  registerPartnerKey,
  revokePartnerKey,
} from '../partners/index.ts';
import { AppError, type Config, connectRedis, type Db, openRedis } from '../platform/index.ts';
import { runCli, UsageError } from './cli.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    code: { type: 'string' },
    name: { type: 'string' },
    brand: { type: 'string' },
    'bank-account-name': { type: 'string' },
    'bank-account-number': { type: 'string' },
    currency: { type: 'string', default: 'CNY' },
    partner: { type: 'string' },
    jwk: { type: 'string' },
    kid: { type: 'string' },
    username: { type: 'string' },
  },
});

function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.map((i) => ({ field: i.path.join('.'), reason: i.message }));
  throw new AppError('validation_failed', 'invalid input', { fields });
}

async function partnerIdByCode(db: Db): Promise<string> {
  if (!values.partner) throw new UsageError('--partner <code> is required');
  const row = await db
    .selectFrom('partners')
    .select('id')
    .where('code', '=', values.partner)
    .executeTakeFirst();
  if (!row) throw new UsageError(`no partner with code "${values.partner}"`);
  return row.id;
}

/**
 * Tells running gateways that a partner's keys changed, so that a revoked key is refused at
 * once rather than when their cached copy expires. The change itself is already committed:
 * a failure here is said, not fatal.
 */
async function announce(config: Config, partnerId: string, what: string): Promise<void> {
  const redis = openRedis(config.redisUrl, 'commands');
  try {
    await connectRedis(redis);
    await publishPartnerChange({ config, redis }, partnerId);
    console.log(`partner: running gateways were told at once (${what})`);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    console.error(
      `partner: running gateways could not be told (${reason}); they see it within ${keyCacheTtlMs / 1000} s`,
    );
  } finally {
    redis.disconnect();
  }
}

const commands: Record<string, (db: Db, config: Config) => Promise<void>> = {
  onboard: async (db) => {
    const input = parse(OnboardPartnerSchema, {
      code: values.code,
      name: values.name,
      brand: values.brand,
      settlement: {
        bankAccountName: values['bank-account-name'],
        bankAccountNumber: values['bank-account-number'],
        currency: values.currency,
      },
    });
    const partner = await onboardPartner(db, input);
    console.log(`partner: onboarded ${partner.code} with id ${partner.id}`);
  },
  'add-store': async (db) => {
    const input = parse(NewStoreSchema, { code: values.code, name: values.name });
    const store = await addStore(db, await partnerIdByCode(db), input);
    console.log(`partner: store ${store.code} has id ${store.id}`);
  },
  'add-key': async (db, config) => {
    const jwk = parse(PublicJwkSchema, JSON.parse(values.jwk ?? 'null'));
    const partnerId = await partnerIdByCode(db);
    const key = await registerPartnerKey(db, partnerId, jwk);
    console.log(`partner: key ${key.kid} (${key.alg}) is active`);
    await announce(config, partnerId, `key ${key.kid} added`);
  },
  'revoke-key': async (db, config) => {
    if (!values.kid) throw new UsageError('--kid is required');
    const partnerId = await partnerIdByCode(db);
    const key = await revokePartnerKey(db, partnerId, values.kid, new Date());
    console.log(`partner: key ${key.kid} is ${key.status}`);
    await announce(config, partnerId, `key ${key.kid} revoked`);
  },
  'add-user': async (db) => {
    if (!values.username) throw new UsageError('--username is required');
    const partnerId = await partnerIdByCode(db);
    const { user, password } = await createPartnerUser(db, {
      partnerId,
      username: values.username,
    });
    console.log(`partner: portal user ${user.username}, password (shown once): ${password}`);
  },
  list: async (db) => {
    for (const p of await listPartners(db, { limit: 200 })) {
      console.log(`${p.id}  ${p.code.padEnd(24)} ${p.status.padEnd(10)} ${p.brand}`);
    }
  },
};

await runCli('partner', async (db, config) => {
  const command = commands[positionals[0] ?? ''];
  if (!command) throw new UsageError(`use ${Object.keys(commands).join(', ')}`);
  await command(db, config);
});
