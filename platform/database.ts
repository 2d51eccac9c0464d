import type { ColumnType, Generated, Selectable } from 'kysely';
import type { MembershipSchema } from './database-members.ts';

/**
 * The schema as Kysely sees it: one interface per table, kept beside the migrations that make
 * them. int8 columns arrive as numbers (see db.ts: exact or refused).
 */

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
/** jsonb: postgres.js serialises the object itself; never pass JSON.stringify'd text. */
type Json<T = Record<string, unknown>> = ColumnType<T, T, T>;

export interface AllianceTable {
  id: Generated<number>;
  name: string;
  currency: Generated<string>;
  time_zone: Generated<string>;
  created_at: CreatedAt;
}

export interface PartnersTable {
  id: string;
  code: string;
  name: string;
  brand: string;
  status: Generated<'active' | 'suspended'>;
  settlement_details: ColumnType<
    Record<string, unknown>,
    Record<string, unknown> | undefined,
    Record<string, unknown>
  >;
  created_at: CreatedAt;
}

export interface StoresTable {
  id: string;
  partner_id: string;
  code: string;
  name: string;
  created_at: CreatedAt;
}

export interface MembersTable {
  id: string;
  phone: string | null;
  email: string | null;
  display_name: Generated<string>;
  status: Generated<'active' | 'closed'>;
  created_at: CreatedAt;
  // Added by migrations/0010_members.ts.
  tier_code: Generated<string>;
  tier_since: Generated<Date>;
  tier_review_at: Date | null;
  consent_marketing: Generated<boolean>;
  consent_partner_sharing: Generated<boolean>;
  consents_updated_at: Date | null;
  enrolled_by_partner_id: string | null;
  closed_at: Date | null;
  closed_reason: string | null;
  closed_phone: string | null;
  closed_email: string | null;
}

export interface HubKeysTable {
  kid: string;
  alg: 'EdDSA' | 'ES256';
  public_jwk: Json;
  private_jwk: Json;
  status: 'active' | 'retiring' | 'retired';
  created_at: CreatedAt;
  retired_at: Date | null;
}

export interface Database extends MembershipSchema {
  hub_keys: HubKeysTable;
  alliance: AllianceTable;
  partners: PartnersTable;
  stores: StoresTable;
  members: MembersTable;
}

export type Partner = Selectable<PartnersTable>;
export type Store = Selectable<StoresTable>;
export type Member = Selectable<MembersTable>;
