import { z } from 'zod';
import {
  AppError,
  type Db,
  databaseCache,
  inTransaction,
  isUniqueViolation,
  newId,
  type Partner,
  type Store,
} from '../platform/index.ts';
import { setBankDetails } from './bank-details.ts';
import { invalidatePartnerCache } from './keys.ts';

/**
 * The partner registry: onboarding by the hub operator, status, stores and settlement
 * details. Every store query is scoped to its partner.
 */

export const SettlementDetailsSchema = z
  .object({
    bankAccountName: z.string().trim().min(1).max(200),
    bankAccountNumber: z
      .string()
      .regex(/^[0-9A-Z]{6,34}$/, 'digits and capital letters only, 6 to 34 of them'),
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as CNY'),
  })
  .strict();
export type SettlementDetails = z.infer<typeof SettlementDetailsSchema>;

export const OnboardPartnerSchema = z
  .object({
    code: z.string().regex(/^[a-z0-9][a-z0-9-]{1,39}$/, 'lowercase letters, digits and "-"'),
    name: z.string().trim().min(1).max(200),
    brand: z.string().trim().min(1).max(200),
    settlement: SettlementDetailsSchema,
    rateLimitPerMinute: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict();
export type OnboardPartnerInput = z.infer<typeof OnboardPartnerSchema>;

export const NewStoreSchema = z
  .object({
    code: z.string().trim().min(1).max(64),
    name: z.string().trim().min(1).max(200),
  })
  .strict();
export type NewStoreInput = z.infer<typeof NewStoreSchema>;

export type PartnerStatus = Partner['status'];

/**
 * A new partner, and the first row of its bank details' history, in one transaction (the
 * caller's, when given one). `setBy` says who gave the details.
 */
export async function onboardPartner(
  db: Db,
  input: OnboardPartnerInput,
  setBy = 'onboarding',
): Promise<Partner> {
  return inTransaction(db, async (tx) => {
    const partner = await insertPartner(tx, input);
    await setBankDetails(tx, {
      partnerId: partner.id,
      details: input.settlement,
      setBy,
      at: partner.created_at,
    });
    return partner;
  });
}

async function insertPartner(db: Db, input: OnboardPartnerInput): Promise<Partner> {
  try {
    return await db
      .insertInto('partners')
      .values({
        id: newId(),
        code: input.code,
        name: input.name,
        brand: input.brand,
        settlement_details: { ...input.settlement },
        rate_limit_per_minute: input.rateLimitPerMinute ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new AppError('conflict', `A partner with code "${input.code}" already exists.`, {
        fields: [{ field: 'code', reason: 'already taken' }],
      });
    }
    throw error;
  }
}

export async function findPartner(db: Db, partnerId: string): Promise<Partner | undefined> {
  return db.selectFrom('partners').selectAll().where('id', '=', partnerId).executeTakeFirst();
}

export async function getPartner(db: Db, partnerId: string): Promise<Partner> {
  const partner = await findPartner(db, partnerId);
  if (!partner) throw new AppError('not_found', 'No such partner.');
  return partner;
}

/** Newest first, one bounded page at a time (keyset on the time-ordered id). */
/** Brand names of the given partners, in one query (for views that list many partners' rows). */
export async function partnerBrands(db: Db, partnerIds: string[]): Promise<Map<string, string>> {
  if (partnerIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('partners')
    .select(['id', 'brand'])
    .where('id', 'in', partnerIds)
    .execute();
  return new Map(rows.map((r) => [r.id, r.brand]));
}

export async function listPartners(
  db: Db,
  page: { limit: number; before?: string },
): Promise<Partner[]> {
  let query = db.selectFrom('partners').selectAll().orderBy('id', 'desc').limit(page.limit);
  if (page.before) query = query.where('id', '<', page.before);
  return query.execute();
}

export async function updatePartner(
  db: Db,
  partnerId: string,
  change: { status?: PartnerStatus; rateLimitPerMinute?: number | null },
): Promise<Partner> {
  if (change.status === undefined && change.rateLimitPerMinute === undefined) {
    return getPartner(db, partnerId);
  }
  const updated = await db
    .updateTable('partners')
    .set({
      ...(change.status ? { status: change.status } : {}),
      ...(change.rateLimitPerMinute !== undefined
        ? { rate_limit_per_minute: change.rateLimitPerMinute }
        : {}),
    })
    .where('id', '=', partnerId)
    .returningAll()
    .executeTakeFirst();
  if (!updated) throw new AppError('not_found', 'No such partner.');
  invalidatePartnerCache(db, partnerId);
  return updated;
}

export async function addStore(db: Db, partnerId: string, input: NewStoreInput): Promise<Store> {
  try {
    return await db
      .insertInto('stores')
      .values({ id: newId(), partner_id: partnerId, code: input.code, name: input.name })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new AppError('conflict', `The partner already has a store "${input.code}".`, {
        fields: [{ field: 'code', reason: 'already taken' }],
      });
    }
    throw error;
  }
}

export async function listStores(db: Db, partnerId: string): Promise<Store[]> {
  return db
    .selectFrom('stores')
    .selectAll()
    .where('partner_id', '=', partnerId)
    .orderBy('code')
    .limit(1000)
    .execute();
}

/**
 * A store of this partner, by the hub's id or the partner's own store code; another partner's
 * store is "not found", like one that does not exist.
 */
export async function getPartnerStore(
  db: Db,
  partnerId: string,
  store: { id: string } | { code: string },
): Promise<Store> {
  const by = 'id' in store ? ['id', store.id] : ['code', store.code];
  return storesFound.get(db, JSON.stringify([partnerId, ...by]));
}

// Stores are never changed or removed once added, so a store found stays true: every counter
// call names one, and this saves its look-up. A store not found is not kept.
const storesFound = databaseCache<Store>({
  ttlMs: 10 * 60_000,
  max: 10_000,
  load: async (db, key) => {
    const [partnerId, by, value] = JSON.parse(key) as [string, 'id' | 'code', string];
    const found = await db
      .selectFrom('stores')
      .selectAll()
      .where('partner_id', '=', partnerId)
      .where(by, '=', value)
      .executeTakeFirst();
    if (!found) throw new AppError('not_found', 'No such store.');
    return found;
  },
});
