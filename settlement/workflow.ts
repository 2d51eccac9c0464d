import { sql } from 'kysely';
import {
  AppError,
  type Db,
  inTransaction,
  recordAudit,
  type SettlementPeriod,
} from '../platform/index.ts';
import { checkAgainstLedger, positionsOf, SettlementImbalance } from './compute.ts';
import { recordPeriodEvent } from './events.ts';
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
  currency: string;
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
    currency: p.currency,
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

/** Who acts on a period: a finance user, by staff id. */
export type PeriodActor = { staffId: string; now: Date };

/**
 * A finance user approves a computed period: who and when are recorded, with an audit line in
 * the same transaction. The period's postings are checked against its positions once more: an
 * entry that committed after the close with a booked_at inside the period (beyond the grace)
 * would otherwise be paid by nobody.
 */
export async function approvePeriod(
  db: Db,
  input: { periodId: string } & PeriodActor,
): Promise<PeriodView> {
  return inTransaction(db, async (tx) => {
    const period = await lockedPeriod(tx, input.periodId);
    if (period.status !== 'computed')
      throw new AppError(
        'conflict',
        `The period is ${period.status}; only a computed one is approved.`,
      );
    const positions = await positionsOf(tx, period.id);
    const bounds = { id: period.id, startsAt: period.starts_at, endsAt: period.ends_at };
    try {
      await checkAgainstLedger(tx, bounds, period.currency, positions);
    } catch (error) {
      if (!(error instanceof SettlementImbalance)) throw error;
      throw new AppError(
        'conflict',
        `The ledger changed after the period was computed: ${error.message}`,
      );
    }
    const updated = await tx
      .updateTable('settlement_periods')
      .set({ status: 'approved', approved_by: input.staffId, approved_at: input.now })
      .where('id', '=', period.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await auditPeriod(tx, 'period.approve', input, period, updated);
    await recordPeriodEvent(tx, 'settlement.period_approved', updated, input.now);
    return periodView(updated);
  });
}

/** The period's row, locked until the transaction ends: its workflow moves one step at a time. */
async function lockedPeriod(tx: Db, periodId: string): Promise<SettlementPeriod> {
  const period = await tx
    .selectFrom('settlement_periods')
    .selectAll()
    .where('id', '=', periodId)
    .forUpdate()
    .executeTakeFirst();
  if (!period) throw new AppError('not_found', 'No such settlement period.');
  return period;
}

async function auditPeriod(
  tx: Db,
  action: string,
  actor: PeriodActor,
  before: SettlementPeriod,
  after: SettlementPeriod,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const state = (p: SettlementPeriod) => ({
    status: p.status,
    digest: p.digest,
    approvedBy: p.approved_by,
    paidBy: p.paid_by,
  });
  await recordAudit(tx, {
    actor: { kind: 'staff', id: actor.staffId },
    action,
    subject: before.id,
    before: state(before),
    after: { ...state(after), ...extra },
    at: actor.now,
  });
}

export type Payment = { partnerId: string; reference: string };

/**
 * Records the payments of an approved period, the bank's reference per partner whose net is not
 * zero (each pays or receives exactly that one amount), and marks the period paid. Four eyes:
 * the finance user who approved the period cannot be the one who releases its money.
 */
export async function markPaid(
  db: Db,
  input: { periodId: string; payments: Payment[] } & PeriodActor,
): Promise<PeriodView> {
  return inTransaction(db, async (tx) => {
    const period = await lockedPeriod(tx, input.periodId);
    if (period.status !== 'approved')
      throw new AppError(
        'conflict',
        `The period is ${period.status}; only an approved one is paid.`,
      );
    if (period.approved_by === input.staffId)
      throw new AppError(
        'four_eyes_required',
        'You approved this period; another finance user must record its payments.',
        { extra: { approvedBy: period.approved_by } },
      );
    const owing = await tx
      .selectFrom('settlement_positions')
      .select('partner_id')
      .where('period_id', '=', period.id)
      .where('net_minor', '<>', 0)
      .execute();
    checkPayments(owing, input.payments);
    for (const p of input.payments) {
      await tx
        .updateTable('settlement_positions')
        .set({ payment_reference: p.reference })
        .where('period_id', '=', period.id)
        .where('partner_id', '=', p.partnerId)
        .execute();
    }
    const paid = await tx
      .updateTable('settlement_periods')
      .set({ status: 'paid', paid_by: input.staffId, paid_at: input.now })
      .where('id', '=', period.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await auditPeriod(tx, 'period.paid', input, period, paid, { payments: input.payments });
    await recordPeriodEvent(tx, 'settlement.period_paid', paid, input.now);
    return periodView(paid);
  });
}

/** One reference for every partner with a net amount, none for anyone else, none twice. */
function checkPayments(owing: Array<{ partner_id: string }>, payments: Payment[]): void {
  const owes = new Set(owing.map((o) => o.partner_id));
  const given = new Map<string, number>();
  const fields: Array<{ field: string; reason: string }> = [];
  payments.forEach((p, i) => {
    if (given.has(p.partnerId))
      fields.push({ field: `payments.${i}.partnerId`, reason: 'named twice' });
    else if (!owes.has(p.partnerId))
      fields.push({
        field: `payments.${i}.partnerId`,
        reason: 'no net amount to pay in this period',
      });
    given.set(p.partnerId, i);
  });
  for (const id of owes) {
    if (!given.has(id)) fields.push({ field: `payments.${id}`, reason: 'missing' });
  }
  if (fields.length > 0)
    throw new AppError(
      'validation_failed',
      'Every partner with a net amount needs one payment reference.',
      { fields },
    );
}
