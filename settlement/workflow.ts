import { sql } from 'kysely';
import { AppError, type Db, type SettlementPeriod } from '../platform/index.ts';
import { checkAgainstLedger, positionsOf, SettlementImbalance } from './compute.ts';
import { recordPeriodEvent } from './events.ts';
import { loadSettlementSettings } from './settings.ts';
import { computedPeriod, figuresOf, localDateOf, type PositionFigures } from './statements.ts';

export type PeriodView = {
  id: string;
  localDate: string;
  startsAt: string;
  endsAt: string;
  status: SettlementPeriod['status'];
  digest: string | null;
  lineCount: number | null;
  hubFeesMinor: number | null;
  computedAt: string | null;
  approvedBy: string | null;
  approvedAt: string | null;
  paidBy: string | null;
  paidAt: string | null;
};

export function periodView(p: SettlementPeriod): PeriodView {
  return {
    id: p.id,
    localDate: localDateOf(p),
    startsAt: p.starts_at.toISOString(),
    endsAt: p.ends_at.toISOString(),
    status: p.status,
    digest: p.digest,
    lineCount: p.line_count,
    hubFeesMinor: p.hub_fees_minor,
    computedAt: p.computed_at?.toISOString() ?? null,
    approvedBy: p.approved_by,
    approvedAt: p.approved_at?.toISOString() ?? null,
    paidBy: p.paid_by,
    paidAt: p.paid_at?.toISOString() ?? null,
  };
}

export const periodsPageMax = 100;

/** Periods, newest first. */
export async function listPeriods(db: Db, limit = 31): Promise<PeriodView[]> {
  const rows = await db
    .selectFrom('settlement_periods')
    .selectAll()
    .orderBy('starts_at', 'desc')
    .limit(Math.min(limit, periodsPageMax))
    .execute();
  return rows.map(periodView);
}

export type PeriodSummary = {
  period: PeriodView;
  partners: Array<{ partnerId: string } & PositionFigures & { paymentReference: string | null }>;
  /** Gross amounts between partners: payer (issuer) owes payee (acceptor), before netting. */
  matrix: Array<{ payerId: string; payeeId: string; amountMinor: number }>;
  hubFeesMinor: number;
  breakagePoints: number;
};

/** Totals by partner, the gross matrix between partners, the hub's fees and the breakage. */
export async function periodSummary(db: Db, periodId: string): Promise<PeriodSummary> {
  const period = await computedPeriod(db, periodId);
  const positions = await positionsOf(db, period.id);
  const { rows: matrix } = await sql<{ payer_id: string; payee_id: string; amount: number }>`
    SELECT partner_id AS payer_id, counterparty_id AS payee_id, -sum(value_minor)::int8 AS amount
    FROM settlement_lines WHERE period_id = ${period.id}::uuid AND role = 'issuer' AND counterparty_id IS NOT NULL
    GROUP BY partner_id, counterparty_id HAVING sum(value_minor) <> 0 ORDER BY 1, 2`.execute(db);
  return {
    period: periodView(period),
    partners: positions.map((p) => ({
      partnerId: p.partner_id,
      ...figuresOf(p),
      paymentReference: p.payment_reference,
    })),
    matrix: matrix.map((m) => ({
      payerId: m.payer_id,
      payeeId: m.payee_id,
      amountMinor: m.amount,
    })),
    hubFeesMinor: period.hub_fees_minor ?? 0,
    breakagePoints: positions.reduce((s, p) => s + p.breakage_points, 0),
  };
}

/**
 * A finance user approves a computed period: who and when are recorded. The period's postings
 * are checked against its positions once more: an entry that committed after the close with a
 * booked_at inside the period (beyond the grace) would otherwise be paid by nobody.
 */
export async function approvePeriod(
  db: Db,
  input: { periodId: string; staffId: string; now: Date },
): Promise<PeriodView> {
  const period = await computedPeriod(db, input.periodId);
  if (period.status !== 'computed')
    throw new AppError(
      'conflict',
      `The period is ${period.status}; only a computed one is approved.`,
    );
  const positions = await positionsOf(db, period.id);
  const { currency } = await loadSettlementSettings(db);
  const bounds = { id: period.id, startsAt: period.starts_at, endsAt: period.ends_at };
  try {
    await checkAgainstLedger(db, bounds, currency, positions);
  } catch (error) {
    if (!(error instanceof SettlementImbalance)) throw error;
    throw new AppError(
      'conflict',
      `The ledger changed after the period was computed: ${error.message}`,
    );
  }
  const updated = await db.transaction().execute(async (tx) => {
    const row = await tx
      .updateTable('settlement_periods')
      .set({ status: 'approved', approved_by: input.staffId, approved_at: input.now })
      .where('id', '=', period.id)
      .where('status', '=', 'computed')
      .returningAll()
      .executeTakeFirst();
    if (row) await recordPeriodEvent(tx, 'settlement.period_approved', row, input.now);
    return row;
  });
  if (!updated) throw new AppError('conflict', 'The period was approved meanwhile.');
  return periodView(updated);
}

/**
 * Records the payments of an approved period, one reference per partner whose net is not zero
 * (each pays or receives exactly that one amount), and marks the period paid.
 */
export async function markPaid(
  db: Db,
  input: {
    periodId: string;
    staffId: string;
    now: Date;
    payments: Array<{ partnerId: string; reference: string }>;
  },
): Promise<PeriodView> {
  return db.transaction().execute(async (tx) => {
    const period = await tx
      .selectFrom('settlement_periods')
      .selectAll()
      .where('id', '=', input.periodId)
      .forUpdate()
      .executeTakeFirst();
    if (!period) throw new AppError('not_found', 'No such settlement period.');
    if (period.status !== 'approved')
      throw new AppError(
        'conflict',
        `The period is ${period.status}; only an approved one is paid.`,
      );
    const owing = await tx
      .selectFrom('settlement_positions')
      .select('partner_id')
      .where('period_id', '=', period.id)
      .where('net_minor', '<>', 0)
      .execute();
    const given = new Map(input.payments.map((p) => [p.partnerId, p.reference]));
    const missing = owing.filter((o) => !given.has(o.partner_id)).map((o) => o.partner_id);
    const unknown = [...given.keys()].filter((id) => !owing.some((o) => o.partner_id === id));
    if (missing.length > 0 || unknown.length > 0) {
      throw new AppError(
        'validation_failed',
        'Every partner with a net amount needs one payment reference.',
        {
          fields: [
            ...missing.map((id) => ({ field: `payments.${id}`, reason: 'missing' })),
            ...unknown.map((id) => ({
              field: `payments.${id}`,
              reason: 'no net amount to pay in this period',
            })),
          ],
        },
      );
    }
    for (const [partnerId, reference] of given) {
      await tx
        .updateTable('settlement_positions')
        .set({ payment_reference: reference })
        .where('period_id', '=', period.id)
        .where('partner_id', '=', partnerId)
        .execute();
    }
    const paid = await tx
      .updateTable('settlement_periods')
      .set({ status: 'paid', paid_by: input.staffId, paid_at: input.now })
      .where('id', '=', period.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordPeriodEvent(tx, 'settlement.period_paid', paid, input.now);
    return periodView(paid);
  });
}
