import type { ColumnType, Generated, Selectable } from 'kysely';

/**
 * Tables of settlement (migrations 0030 to 0039), kept apart from database.ts so that each
 * domain's tables read in one place. int8 columns arrive as numbers.
 */

export type PeriodStatus = 'closed' | 'computed' | 'approved' | 'paid';

export interface SettlementPeriodsTable {
  id: string;
  /** The alliance-local date on which the period starts (a date: UTC midnight in JS). */
  local_date: ColumnType<Date, string, never>;
  starts_at: Date;
  ends_at: Date;
  status: PeriodStatus;
  closed_at: Date;
  computed_at: Date | null;
  digest: string | null;
  line_count: number | null;
  hub_fees_minor: number | null;
  approved_by: string | null;
  approved_at: Date | null;
  paid_by: string | null;
  paid_at: Date | null;
  /** The currency the period was settled in, fixed when it was closed (migration 0080). */
  currency: string;
  /** When the liability snapshot at the period's end was written (migration 0080). */
  liability_snapshot_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface SettlementLinesTable {
  period_id: string;
  partner_id: string;
  line_no: number;
  entry_id: string;
  booked_at: Date;
  kind: string;
  role: 'issuer' | 'acceptor';
  counterparty_id: string | null;
  order_id: string | null;
  points: number;
  value_minor: number;
  fee_minor: number;
}

export interface SettlementPositionsTable {
  period_id: string;
  partner_id: string;
  line_count: number;
  owed_to_others_minor: number;
  owed_by_others_minor: number;
  fees_minor: number;
  breakage_points: number;
  net_minor: number;
  digest: string;
  payment_reference: Generated<string | null>;
}

/** An issuer's points liability at the end of a closed period (migration 0080). */
export interface LiabilitySnapshotsTable {
  period_id: string;
  partner_id: string;
  at: Date;
  currency: string;
  point_value_minor: string;
  outstanding_points: number;
  expired_unswept_points: number;
  value_minor: number;
  window_redeemed_points: number;
  window_breakage_points: number;
  expected_breakage_points: number;
  expected_breakage_minor: number;
  created_at: Date;
}

export interface SettlementSchema {
  settlement_periods: SettlementPeriodsTable;
  settlement_lines: SettlementLinesTable;
  settlement_positions: SettlementPositionsTable;
  liability_snapshots: LiabilitySnapshotsTable;
}

export type SettlementPeriod = Selectable<SettlementPeriodsTable>;
export type SettlementPosition = Selectable<SettlementPositionsTable>;
export type LiabilitySnapshot = Selectable<LiabilitySnapshotsTable>;
