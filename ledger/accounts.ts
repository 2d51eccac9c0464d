import { type Kysely, sql } from 'kysely';
import { type Database, type Db, newId } from '../platform/index.ts';

/** The points asset. Currency accounts use the ISO code (CNY) and amounts in minor units. */
export const pointsAsset = 'PTS';

/** The hub owns its accounts under this fixed id. */
export const hubOwnerId = '00000000-0000-0000-0000-000000000000';

export type OwnerType = 'member' | 'partner' | 'hub';

/**
 * Account kinds used by the hub:
 * - member_points (PTS): a member's spendable points; never below zero.
 * - partner_issued (PTS): points a partner has issued; negative, its outstanding liability.
 * - partner_redeemed (PTS): points of this issuer that members spent, at any partner.
 * - partner_breakage (PTS): points of this issuer that expired unspent.
 * - partner_clearing, hub_fees, ... (currency): what settlement moves between partners.
 */
/** Shards an account may have (the ledger_accounts.shard check in migration 0040). */
export const accountShardsMax = 64;

export type AccountKey = {
  ownerType: OwnerType;
  ownerId: string;
  kind: string;
  asset: string;
  /**
   * Which part of a hot account (0 unless given): an issuer's partner_issued account has one
   * shard per accrual batch in flight, so that concurrent batches never wait on one row. The
   * owner's balance of a kind is the sum over its shards.
   */
  shard?: number;
};

/** Members' accounts may not go below zero; partner and hub accounts are unbounded. */
function floorFor(ownerType: OwnerType): number | null {
  return ownerType === 'member' ? 0 : null;
}

function keyString(k: AccountKey): string {
  return `${k.ownerType}:${k.ownerId}:${k.kind}:${k.asset}:${k.shard ?? 0}`;
}

/**
 * The global lock order: members' accounts, then partners', then the hub's; by id within each.
 * Every transaction that writes balances locks all its accounts up front in this order, so
 * no two transactions can wait on each other in a cycle.
 */
export const ownerRank: Record<OwnerType, number> = { member: 0, partner: 1, hub: 2 };

/** ORDER BY for ledger_accounts rows in the global lock order: every FOR UPDATE uses it. */
export const lockOrder = sql`CASE owner_type WHEN 'member' THEN ${sql.lit(ownerRank.member)} WHEN 'partner' THEN ${sql.lit(ownerRank.partner)} ELSE ${sql.lit(ownerRank.hub)} END, id`;

export type AccountDirectory = {
  /**
   * Account ids for the keys, creating missing accounts. Without `tx` creation commits on its
   * own; with `tx` it joins that transaction, which must not wait for a second connection from
   * the pool (a pool full of such transactions would wait forever).
   */
  ids(keys: AccountKey[], tx?: Executor): Promise<string[]>;
  id(key: AccountKey): Promise<string>;
};

type Executor = Kysely<Database>;

/**
 * Accounts are created on first use and never deleted, so their ids are cached for the life of
 * the process. An account created inside a transaction is not cached until it is found again
 * committed: the transaction may still roll back, and the id would stay cached without existing.
 */
export function createAccountDirectory(db: Db): AccountDirectory {
  const cache = new Map<string, string>();
  const cacheMax = 1_000_000;
  const ids = async (keys: AccountKey[], tx?: Executor): Promise<string[]> => {
    const names = keys.map(keyString);
    // One cache look-up per key: an accrual batch asks for a thousand at a time.
    const cached = names.map((name) => cache.get(name));
    const missing = new Map<string, AccountKey>();
    cached.forEach((id, i) => {
      if (id === undefined) missing.set(names[i] ?? '', keys[i] as AccountKey);
    });
    if (missing.size === 0) return cached as string[];
    const local = await load([...missing.values()], tx ?? db);
    return names.map((name, i) => {
      const id = cached[i] ?? local.get(name);
      if (id === undefined) throw new Error(`ledger account ${name} could not be created`);
      return id;
    });
  };
  const load = async (keys: AccountKey[], executor: Executor): Promise<Map<string, string>> => {
    // New accounts are inserted in one global order (by key), like row locks: two
    // transactions creating the same accounts in different orders would each wait on the
    // other's uncommitted index entry, a deadlock that failed whole accrual batches.
    const rows = keys
      .map((k) => ({ id: newId(), k, sortKey: keyString(k) }))
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    await sql`
      INSERT INTO ledger_accounts (id, asset, owner_type, owner_id, kind, floor, shard)
      SELECT * FROM unnest(${rows.map((r) => r.id)}::uuid[], ${rows.map((r) => r.k.asset)}::text[],
        ${rows.map((r) => r.k.ownerType)}::text[], ${rows.map((r) => r.k.ownerId)}::uuid[],
        ${rows.map((r) => r.k.kind)}::text[], ${rows.map((r) => floorFor(r.k.ownerType))}::int8[],
        ${rows.map((r) => r.k.shard ?? 0)}::int2[])
      ON CONFLICT (owner_type, owner_id, kind, asset, shard) DO NOTHING`.execute(executor);
    const found = await sql<{
      id: string;
      owner_type: OwnerType;
      owner_id: string;
      kind: string;
      asset: string;
      shard: number;
      settled: boolean;
    }>`
      -- settled: written by a transaction other than this one, so already committed (a row is
      -- only visible here once its writer committed). Such an id cannot be rolled back.
      SELECT a.id, a.owner_type, a.owner_id, a.kind, a.asset, a.shard,
        (pg_current_xact_id_if_assigned() IS NULL
          OR a.xmin <> pg_current_xact_id_if_assigned()::xid) AS settled
      FROM ledger_accounts a
      JOIN unnest(${keys.map((k) => k.ownerType)}::text[], ${keys.map((k) => k.ownerId)}::uuid[],
        ${keys.map((k) => k.kind)}::text[], ${keys.map((k) => k.asset)}::text[], ${keys.map((k) => k.shard ?? 0)}::int2[])
        AS w(owner_type, owner_id, kind, asset, shard)
      USING (owner_type, owner_id, kind, asset, shard)`.execute(executor);
    if (cache.size + found.rows.length > cacheMax) cache.clear();
    const loaded = new Map<string, string>();
    for (const r of found.rows) {
      const k = keyString({
        ownerType: r.owner_type,
        ownerId: r.owner_id,
        kind: r.kind,
        asset: r.asset,
        shard: r.shard,
      });
      loaded.set(k, r.id);
      if (r.settled) cache.set(k, r.id);
    }
    return loaded;
  };
  const first = async (key: AccountKey): Promise<string> => {
    const [id] = await ids([key]);
    if (id === undefined) throw new Error('ledger: no account id returned');
    return id;
  };
  return { ids, id: first };
}

export function memberPointsKey(memberId: string): AccountKey {
  return { ownerType: 'member', ownerId: memberId, kind: 'member_points', asset: pointsAsset };
}

export function partnerPointsKey(
  partnerId: string,
  kind: 'partner_issued' | 'partner_redeemed' | 'partner_breakage',
  shard = 0,
): AccountKey {
  return { ownerType: 'partner', ownerId: partnerId, kind, asset: pointsAsset, shard };
}
