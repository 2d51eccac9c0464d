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

export interface SettlementSchema {
  settlement_periods: SettlementPeriodsTable;
  settlement_lines: SettlementLinesTable;
  settlement_positions: SettlementPositionsTable;
}

export type SettlementPeriod = Selectable<SettlementPeriodsTable>;
export type SettlementPosition = Selectable<SettlementPositionsTable>;
