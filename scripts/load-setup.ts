/**
 * npm run load:setup: what the k6 scripts in load/ need on a running hub: a partner with an
 * ES256 key (its private half written to .data/load-setup.json, for the load generator only),
 * a store, members with points linked to the partner's customer ids, and member sessions
 * (valid 15 minutes: run this right before k6). Idempotent for the partner and store.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { exportJWK, generateKeyPair } from 'jose';
import { type Domains, openDomains } from '../domains.ts';
import { enrolAtPartner, issueMemberSession } from '../members/index.ts';
import { addStore, onboardPartner, registerPartnerKey } from '../partners/index.ts';
import {
  createLogger,
  isAppError,
  loadConfig,
  openServices,
  type Services,
} from '../platform/index.ts';

export type LoadSetup = {
  partner: { id: string; kid: string };
  privateJwk: Record<string, unknown>;
  storeCode: string;
  customerIds: string[];
  memberSessions: string[];
};

export async function prepareLoad(
  services: Services,
  domains: Domains,
  membersCount: number,
): Promise<LoadSetup> {
  const db = services.db;
  const found = await db
    .selectFrom('partners')
    .selectAll()
    .where('code', '=', 'load-test')
    .executeTakeFirst();
  const partner =
    found ??
    (await onboardPartner(db, {
      code: 'load-test',
      name: 'Load Test Ltd.',
      brand: 'Load Test',
      settlement: {
        bankAccountName: 'Load Test Ltd.',
        bankAccountNumber: '6222000000000000',
        currency: 'CNY',
      },
    }));
  const storeCode = 'LOAD-1';
  await addStore(db, partner.id, { code: storeCode, name: 'Load counter' }).catch((error) => {
    // Made by an earlier run: the store exists. Anything else is a real failure.
    if (!(isAppError(error) && error.type === 'conflict')) throw error;
  });
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = `k6-${Date.now().toString(36)}`;
  await registerPartnerKey(db, partner.id, { ...(await exportJWK(publicKey)), kid } as Parameters<
    typeof registerPartnerKey
  >[2]);
  const customerIds: string[] = [];
  const memberSessions: string[] = [];
  for (let i = 0; i < membersCount; i += 1) {
    const customerId = `LOAD-C-${i}`;
    const { member } = await enrolAtPartner(services, {
      partnerId: partner.id,
      partnerCustomerId: customerId,
      email: `load-${i}@example.test`,
    });
    await domains.ledger.accrue({
      partnerId: partner.id,
      memberId: member.id,
      points: 1_000_000,
      idempotencyKey: `load-setup-${member.id}-${kid}`,
      expiresAt: new Date('2099-01-01T00:00:00Z'),
    });
    customerIds.push(customerId);
    memberSessions.push((await issueMemberSession(services, member.id)).token);
  }
  return {
    partner: { id: partner.id, kid },
    privateJwk: { ...(await exportJWK(privateKey)) },
    storeCode,
    customerIds,
    memberSessions,
  };
}

if (import.meta.main) {
  const services = await openServices(loadConfig(), { logger: createLogger('warn') });
  const domains = await openDomains(services);
  try {
    const setup = await prepareLoad(services, domains, Number(process.env.LOAD_MEMBERS ?? 200));
    await mkdir('.data', { recursive: true });
    await writeFile('.data/load-setup.json', JSON.stringify(setup));
    console.log(
      `load setup: partner ${setup.partner.id} key ${setup.partner.kid}, ${setup.customerIds.length} members; written to .data/load-setup.json`,
    );
  } finally {
    await domains.ledger.close();
    await services.close();
  }
}
