import type { ColumnType, Generated, Selectable } from 'kysely';
import type { MembershipSchema } from './database-members.ts';
import type { SettlementSchema } from './database-settlement.ts';
import type { WebhookSchema } from './database-webhooks.ts';

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
  /** Value of one point in minor currency units, an exact decimal string ('1' = 1 fen). */
  point_value_minor: Generated<string>;
  /** Days an accrued point stays spendable. */
  points_lifetime_days: Generated<number>;
  /** Seconds a counter's authorisation (hold) lasts before it voids itself. */
  hold_ttl_seconds: Generated<number>;
  created_at: CreatedAt;
  // Settlement settings (migrations/0030_settlement.ts): exact decimal rates, 'HH:MM' cut.
  clearing_fee_rate: Generated<string>;
  fee_on_own_points: Generated<boolean>;
  breakage_share_rate: Generated<string>;
  period_cut_time: Generated<string>;
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
  /** Requests per minute; NULL means the hub's default. */
  rate_limit_per_minute: ColumnType<number | null, number | null | undefined, number | null>;
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

/** A partner's public signing key (JWK); the private half stays with the partner. */
export interface PartnerKeysTable {
  partner_id: string;
  kid: string;
  alg: 'EdDSA' | 'ES256';
  public_jwk: Json;
  status: Generated<'active' | 'revoked'>;
  created_at: CreatedAt;
  revoked_at: Date | null;
}

/** One Idempotency-Key of one partner: its claim, then the answer to give every retry. */
export interface IdempotencyKeysTable {
  partner_id: string;
  key: string;
  request_hash: string;
  state: 'in_progress' | 'done';
  lease_id: string;
  locked_at: Date;
  response_status: number | null;
  response_headers: Json<Record<string, string> | null>;
  response_body: string | null;
  created_at: Date;
  completed_at: Date | null;
}

export interface StaffTable {
  id: string;
  name: string;
  role: 'admin' | 'finance';
  status: Generated<'active' | 'disabled'>;
  created_at: CreatedAt;
}

export interface StaffTokensTable {
  id: string;
  staff_id: string;
  token_sha256: string;
  created_at: CreatedAt;
  revoked_at: Date | null;
}

export interface AuditLogTable {
  id: string;
  at: Date;
  actor_kind: 'staff' | 'partner' | 'member' | 'system';
  actor_id: string;
  action: string;
  subject: string;
  before: Json<Record<string, unknown> | null>;
  after: Json<Record<string, unknown> | null>;
}

export interface PartnerRulesTable {
  partner_id: string;
  earn_rule: Json<Record<string, unknown> | null>;
  burn_rule: Json<Record<string, unknown> | null>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  /** The most points of this issuer that may be outstanding; NULL: no cap (migration 0081). */
  outstanding_points_max: ColumnType<number | null, number | null | undefined, number | null>;
}

/** One version of a partner's bank details; the latest is in force (migration 0081). */
export interface PartnerBankDetailsTable {
  id: string;
  version: Generated<number>;
  partner_id: string;
  account_name: string;
  account_number: string;
  currency: string;
  set_by: string;
  set_at: Date;
}

export interface LedgerAccountsTable {
  id: string;
  asset: string;
  owner_type: 'member' | 'partner' | 'hub';
  owner_id: string;
  kind: string;
  floor: number | null;
  balance: Generated<number>;
  held: Generated<number>;
  shard: Generated<number>;
  created_at: CreatedAt;
}

export interface LedgerEntriesTable {
  id: string;
  kind: string;
  booked_at: Date;
  partner_id: string | null;
  member_id: string | null;
  reverses_entry_id: string | null;
  metadata: ColumnType<Record<string, unknown>, Record<string, unknown> | undefined, never>;
}

export interface LedgerPostingsTable {
  id: Generated<number>;
  entry_id: string;
  account_id: string;
  asset: string;
  amount: number;
  booked_at: Date;
}

export interface LedgerRequestsTable {
  owner_id: string;
  idempotency_key: string;
  request_hash: string;
  entry_id: string | null;
  outcome: ColumnType<Record<string, unknown>, Record<string, unknown>, never>;
  created_at: CreatedAt;
}

export interface LedgerLotsTable {
  id: string;
  account_id: string;
  member_id: string;
  issuer_partner_id: string;
  entry_id: string;
  amount: number;
  remaining: number;
  held: Generated<number>;
  issued_at: Date;
  expires_at: Date;
}

export interface LedgerLotMovementsTable {
  entry_id: string;
  lot_id: string;
  issuer_partner_id: string;
  points: number;
}

export interface LedgerHoldsTable {
  id: string;
  account_id: string;
  member_id: string;
  partner_id: string;
  amount: number;
  status: 'active' | 'captured' | 'voided' | 'expired';
  captured_amount: Generated<number>;
  capture_entry_id: string | null;
  created_at: Date;
  expires_at: Date;
  finished_at: Date | null;
  metadata: ColumnType<
    Record<string, unknown>,
    Record<string, unknown> | undefined,
    Record<string, unknown>
  >;
}

export interface LedgerHoldLotsTable {
  hold_id: string;
  lot_id: string;
  points: number;
}

export interface CounterPurchasesTable {
  partner_id: string;
  order_id: string;
  member_id: string;
  store_id: string;
  amount_minor: number;
  points: number;
  entry_id: string | null;
  purchased_at: Date;
  refunded_minor: Generated<number>;
  created_at: CreatedAt;
  /** Digest of the purchase's facts: the same order id with other facts is refused. */
  request_hash: string | null;
  /** The answer the purchase was given (JSON text), repeated to every retry. */
  answer: string | null;
  /** Points the paid membership's multipliers added to this purchase ("saved so far"). */
  paid_extra_points: Generated<number>;
}

export interface CounterRedemptionsTable {
  partner_id: string;
  order_id: string;
  member_id: string;
  store_id: string;
  order_amount_minor: number;
  points: number;
  hold_id: string | null;
  entry_id: string | null;
  status: 'authorised' | 'captured' | 'voided' | 'redeemed' | 'refunded';
  created_at: CreatedAt;
  updated_at: Generated<Date>;
  /** Digest of the authorisation's (or one-step redemption's) facts, its answer (JSON text). */
  request_hash: string | null;
  answer: string | null;
  /** The capture or void that ended the authorisation: its request and its answer. */
  finish_request: string | null;
  finish_answer: string | null;
}

export interface CounterRefundsTable {
  partner_id: string;
  refund_id: string;
  order_id: string;
  kind: 'purchase' | 'redemption';
  amount_minor: number;
  points: number;
  unrecovered_points: Generated<number>;
  entry_id: string | null;
  created_at: CreatedAt;
}

/** A partner's own staff, signed in to the partner portal (partners/users.ts). */
export interface PartnerUsersTable {
  id: string;
  partner_id: string;
  username: string;
  password_hash: string;
  status: Generated<'active' | 'disabled'>;
  created_at: CreatedAt;
}

export interface Database extends MembershipSchema, SettlementSchema, WebhookSchema {
  counter_refunds: CounterRefundsTable;
  counter_purchases: CounterPurchasesTable;
  counter_redemptions: CounterRedemptionsTable;
  hub_keys: HubKeysTable;
  ledger_accounts: LedgerAccountsTable;
  ledger_entries: LedgerEntriesTable;
  ledger_postings: LedgerPostingsTable;
  ledger_requests: LedgerRequestsTable;
  ledger_lots: LedgerLotsTable;
  ledger_lot_movements: LedgerLotMovementsTable;
  ledger_holds: LedgerHoldsTable;
  ledger_hold_lots: LedgerHoldLotsTable;
  alliance: AllianceTable;
  partners: PartnersTable;
  stores: StoresTable;
  members: MembersTable;
  partner_keys: PartnerKeysTable;
  idempotency_keys: IdempotencyKeysTable;
  staff: StaffTable;
  staff_tokens: StaffTokensTable;
  partner_rules: PartnerRulesTable;
  audit_log: AuditLogTable;
  partner_users: PartnerUsersTable;
  partner_bank_details: PartnerBankDetailsTable;
}

export type Partner = Selectable<PartnersTable>;
export type Store = Selectable<StoresTable>;
export type Member = Selectable<MembersTable>;
export type PartnerKey = Selectable<PartnerKeysTable>;
export type IdempotencyKey = Selectable<IdempotencyKeysTable>;
export type Staff = Selectable<StaffTable>;
export type AuditEntry = Selectable<AuditLogTable>;
export type PartnerBankDetails = Selectable<PartnerBankDetailsTable>;
