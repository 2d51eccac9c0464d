import type { ColumnType, Generated, Selectable } from 'kysely';

/**
 * Tables of the super-membership (migrations 0010 to 0019), kept apart from database.ts so
 * that each domain's tables read in one place. int8 columns arrive as numbers.
 */

type Json<T = Record<string, unknown>> = ColumnType<T, T, T>;

export interface MembershipSettingsTable {
  id: Generated<number>;
  growth_window_months: Generated<number>;
  tier_review_months: Generated<number>;
  trial_days: Generated<number>;
  closing_points_policy: Generated<'forfeit' | 'pay_out'>;
  new_member_days: Generated<number>;
  dormant_after_days: Generated<number>;
  super_user_percent: Generated<number>;
  /** Days before an automatic renewal that the member is reminded. */
  renewal_reminder_days: Generated<number>;
  activity_growth: ColumnType<
    Record<ActivityKind, ActivityGrowthRule>,
    Record<ActivityKind, ActivityGrowthRule> | undefined,
    Record<ActivityKind, ActivityGrowthRule>
  >;
  updated_at: Generated<Date>;
}

export interface TiersTable {
  code: string;
  rank: number;
  name: string;
  /** Rolling growth value (fen of qualifying spend) at which the tier starts. */
  threshold_growth: number;
  /** Share of the price the member pays, in basis points: 10000 none, 9500 = 95%. */
  discount_bp: number;
  /** Exact decimal, e.g. "1.5". */
  earn_multiplier: string;
  updated_at: Generated<Date>;
}

export interface MemberLinksTable {
  id: string;
  member_id: string;
  partner_id: string;
  partner_customer_id: string;
  linked_at: Date;
  unlinked_at: Date | null;
}

export type GrowthKind = 'purchase' | 'refund' | 'check_in' | 'review' | 'login' | 'other';

/** What one activity a partner reports is worth in growth, and how many count a day. */
export type ActivityGrowthRule = { amount: number; dailyCap: number };
export type ActivityKind = 'check_in' | 'review' | 'login';

export interface GrowthEventsTable {
  id: string;
  member_id: string;
  partner_id: string | null;
  kind: GrowthKind;
  amount: number;
  event_ref: string;
  occurred_at: Date;
  recorded_at: Date;
}

export type TierChangeReason = 'growth' | 'review' | 'operator';

export interface TierChangesTable {
  id: string;
  member_id: string;
  from_tier: string | null;
  to_tier: string;
  reason: TierChangeReason;
  growth_value: number;
  growth_event_id: string | null;
  note: string | null;
  changed_at: Date;
}

export interface PaidPlansTable {
  id: string;
  code: string;
  name: string;
  currency: Generated<string>;
  fee_minor: number;
  term_months: Generated<number>;
  status: Generated<'active' | 'retired'>;
  description: Generated<string>;
  updated_at: Generated<Date>;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export interface PaidPlanTierFeesTable {
  plan_id: string;
  tier_code: string;
  fee_minor: number;
}

export type PaidStatus = 'trial' | 'active' | 'cancelled' | 'expired';

export interface PaidMembershipsTable {
  member_id: string;
  plan_id: string;
  status: PaidStatus;
  current_term_start: Date;
  current_term_end: Date;
  cancelled_at: Date | null;
  updated_at: Date;
  auto_renew: Generated<boolean>;
  auto_renew_set_at: Date | null;
}

export type MembershipPaymentPurpose = 'subscribe' | 'renew' | 'auto_renew' | 'trial_conversion';

export interface MembershipPaymentsTable {
  id: string;
  member_id: string;
  plan_id: string;
  purpose: MembershipPaymentPurpose;
  amount_minor: number;
  currency: string;
  tier_code: string;
  provider: string;
  provider_ref: string | null;
  status: 'pending' | 'confirmed' | 'failed';
  failure_reason: string | null;
  idempotency_key: string;
  term_id: string | null;
  created_at: Date;
  settled_at: Date | null;
}

export type MemberMessageKind =
  | 'renewal_reminder'
  | 'renewed'
  | 'renewal_failed'
  | 'trial_converted';

export interface MemberMessagesTable {
  id: string;
  member_id: string;
  kind: MemberMessageKind;
  subject: string;
  body: string;
  dedupe_key: string;
  created_at: Date;
}

export interface PaidMembershipTermsTable {
  id: string;
  member_id: string;
  plan_id: string;
  kind: 'trial' | 'paid';
  starts_at: Date;
  ends_at: Date;
  fee_minor: number;
  currency: string;
  tier_code: string;
  idempotency_key: string;
  created_at: Date;
}

export type BenefitKind =
  | 'discount_rate'
  | 'coupon'
  | 'free_shipping'
  | 'earn_multiplier'
  | 'service_perk';
export type UsagePeriod = 'day' | 'week' | 'month' | 'year' | 'lifetime';

export interface BenefitsTable {
  id: string;
  partner_id: string | null;
  code: string;
  title: string;
  description: Generated<string>;
  kind: BenefitKind;
  params: Json;
  target_tiers: string[] | null;
  paid_only: Generated<boolean>;
  valid_from: Date;
  valid_until: Date | null;
  usage_limit: number | null;
  usage_period: UsagePeriod | null;
  status: Generated<'active' | 'withdrawn'>;
  created_at: Date;
  withdrawn_at: Date | null;
}

export interface BenefitUsesTable {
  id: string;
  benefit_id: string;
  member_id: string;
  used_at_partner_id: string | null;
  period_start: Date;
  idempotency_key: string;
  used_at: Date;
  /** What the use saved the member, in minor units, when known ("saved so far"). */
  value_minor: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface MemberOutboxTable {
  id: string;
  member_id: string | null;
  channel: 'sms' | 'email';
  recipient: string;
  subject: string;
  body: string;
  created_at: Date;
}

export type SegmentName = 'new' | 'active' | 'dormant' | 'super_user';

export interface SegmentRunsTable {
  id: string;
  computed_at: Date;
  counts: Json<Record<string, number>>;
}

export interface MemberSegmentsTable {
  member_id: string;
  segment: SegmentName;
  run_id: string;
  last_activity_at: Date | null;
  spend_12m_minor: number;
}

export interface GrowthMonthsTable {
  member_id: string;
  /** The first day of the month (UTC), as a date string. */
  month: string;
  amount: number;
}

export interface PayCodeUsesTable {
  code_digest: string;
  member_id: string;
  partner_id: string;
  order_id: string;
  used_at: Date;
}

export interface MembershipSchema {
  growth_months: GrowthMonthsTable;
  pay_code_uses: PayCodeUsesTable;
  membership_settings: MembershipSettingsTable;
  tiers: TiersTable;
  member_links: MemberLinksTable;
  growth_events: GrowthEventsTable;
  tier_changes: TierChangesTable;
  paid_plans: PaidPlansTable;
  paid_plan_tier_fees: PaidPlanTierFeesTable;
  paid_memberships: PaidMembershipsTable;
  membership_payments: MembershipPaymentsTable;
  member_messages: MemberMessagesTable;
  paid_membership_terms: PaidMembershipTermsTable;
  benefits: BenefitsTable;
  benefit_uses: BenefitUsesTable;
  member_outbox: MemberOutboxTable;
  segment_runs: SegmentRunsTable;
  member_segments: MemberSegmentsTable;
}

export type Tier = Selectable<TiersTable>;
export type MemberLink = Selectable<MemberLinksTable>;
export type GrowthEvent = Selectable<GrowthEventsTable>;
export type TierChange = Selectable<TierChangesTable>;
export type PaidPlan = Selectable<PaidPlansTable>;
export type PaidMembership = Selectable<PaidMembershipsTable>;
export type PaidMembershipTerm = Selectable<PaidMembershipTermsTable>;
export type MembershipPayment = Selectable<MembershipPaymentsTable>;
export type MemberMessage = Selectable<MemberMessagesTable>;
export type Benefit = Selectable<BenefitsTable>;
export type BenefitUse = Selectable<BenefitUsesTable>;
