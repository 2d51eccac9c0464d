/**
 * npm run partner -- onboard --code jade-tea --name "Jade Tea House Co." --brand "Jade Tea" \
 *     --bank-account-name "Jade Tea House Co." --bank-account-number 6222021234567890 --currency CNY
 * npm run partner -- add-store --partner jade-tea --code SH-003 --name "Jade Tea Xintiandi"
 * npm run partner -- add-key --partner jade-tea --jwk '{"kty":"OKP","crv":"Ed25519","x":"...","kid":"pos-1"}'
 * npm run partner -- revoke-key --partner jade-tea --kid pos-1
 * npm run partner -- list
 */
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import {
  addStore,
  listPartners,
  NewStoreSchema,
  OnboardPartnerSchema,
  onboardPartner,
  PublicJwkSchema,
  registerPartnerKey,
  revokePartnerKey,
} from '../partners/index.ts';
import { AppError, type Db } from '../platform/index.ts';
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

const commands: Record<string, (db: Db) => Promise<void>> = {
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
  'add-key': async (db) => {
    const jwk = parse(PublicJwkSchema, JSON.parse(values.jwk ?? 'null'));
    const key = await registerPartnerKey(db, await partnerIdByCode(db), jwk);
    console.log(`partner: key ${key.kid} (${key.alg}) is active`);
  },
  'revoke-key': async (db) => {
    if (!values.kid) throw new UsageError('--kid is required');
    const key = await revokePartnerKey(db, await partnerIdByCode(db), values.kid, new Date());
    console.log(
      `partner: key ${key.kid} is ${key.status} (running gateways refuse it within 15 s)`,
    );
  },
  list: async (db) => {
    for (const p of await listPartners(db, { limit: 200 })) {
      console.log(`${p.id}  ${p.code.padEnd(24)} ${p.status.padEnd(10)} ${p.brand}`);
    }
  },
};

await runCli('partner', async (db) => {
  const command = commands[positionals[0] ?? ''];
  if (!command) throw new UsageError(`use ${Object.keys(commands).join(', ')}`);
  await command(db);
});
