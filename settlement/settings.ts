import { type Db, parseRatio, type Ratio } from '../platform/index.ts';

/**
 * The alliance's money model for clearing, read from the alliance row (migration 0030). Rates
 * are exact ratios; the rounding rule is written where they are applied (clearing.ts).
 */
export type SettlementSettings = {
  currency: string;
  timeZone: string;
  /** Minor currency units per point: 1 point = 1 fen by default. */
  pointValue: Ratio;
  /** Share of the cleared value the issuer pays the hub: 0.02 by default. */
  feeRate: Ratio;
  /** Whether redeeming a partner's own points at its own counter pays the fee too. */
  feeOnOwnPoints: boolean;
  /** Share of expired points' value the issuer pays the hub: 0 by default. */
  breakageShare: Ratio;
  /** Time of day ('HH:MM', alliance time zone) at which one period ends and the next begins. */
  periodCutTime: string;
};

/** The column defaults of migration 0030, for a hub whose alliance row is not seeded yet. */
export const defaultSettlementSettings: SettlementSettings = {
  currency: 'CNY',
  timeZone: 'Asia/Shanghai',
  pointValue: parseRatio('1'),
  feeRate: parseRatio('0.02'),
  feeOnOwnPoints: true,
  breakageShare: parseRatio('0'),
  periodCutTime: '00:00',
};

export async function loadSettlementSettings(db: Db): Promise<SettlementSettings> {
  const row = await db
    .selectFrom('alliance')
    .select([
      'currency',
      'time_zone',
      'point_value_minor',
      'clearing_fee_rate',
      'fee_on_own_points',
      'breakage_share_rate',
      'period_cut_time',
    ])
    .executeTakeFirst();
  if (!row) return defaultSettlementSettings;
  return {
    currency: row.currency.trim(),
    timeZone: row.time_zone,
    pointValue: parseRatio(row.point_value_minor),
    feeRate: parseRatio(row.clearing_fee_rate),
    feeOnOwnPoints: row.fee_on_own_points,
    breakageShare: parseRatio(row.breakage_share_rate),
    periodCutTime: row.period_cut_time,
  };
}
