import { AppError, type Db } from '../platform/index.ts';
import { localDateOf } from './statements.ts';

/** Where a partner is paid, or pays from: its bank details in force (partners/ owns them). */
export type Payee = {
  code: string;
  accountName: string;
  accountNumber: string;
  currency: string;
};

export type PayeesOf = (partnerIds: string[]) => Promise<Map<string, Payee>>;

export const paymentFileHeader =
  'line,direction,partner_id,partner_code,account_name,account_number,currency,amount_minor,reference,bank_reference';

/**
 * A text cell: a spreadsheet runs a cell starting with = + - @, tab or CR as a formula, so such
 * text gets a leading ' and quotes (as statements do); a comma, quote or line break is quoted.
 */
export function csvText(text: string): string {
  if (/^[=+@\t\r-]/.test(text)) return `"'${text.replaceAll('"', '""')}"`;
  if (/[",\r\n]/.test(text)) return `"${text.replaceAll('"', '""')}"`;
  return text;
}

/**
 * The payment file of an approved (or paid) period: one line per partner with a net amount,
 * `pay` when the hub pays it, `collect` when it pays the hub, the amount in minor units and
 * positive, its bank details in force, the hub's reference for the transfer and, once the period
 * is paid, the bank's. Lines are in partner id order. The hub keeps its fees: the collected
 * amounts less the paid ones equal the period's hub fees.
 */
export async function paymentFile(db: Db, periodId: string, payeesOf: PayeesOf): Promise<string> {
  const period = await db
    .selectFrom('settlement_periods')
    .selectAll()
    .where('id', '=', periodId)
    .executeTakeFirst();
  if (!period) throw new AppError('not_found', 'No such settlement period.');
  if (period.status !== 'approved' && period.status !== 'paid')
    throw new AppError(
      'conflict',
      `The period is ${period.status}; money moves only for an approved period.`,
    );
  const positions = await db
    .selectFrom('settlement_positions')
    .select(['partner_id', 'net_minor', 'payment_reference'])
    .where('period_id', '=', period.id)
    .where('net_minor', '<>', 0)
    .orderBy('partner_id')
    .execute();
  const payees = await payeesOf(positions.map((p) => p.partner_id));
  const day = localDateOf(period).replaceAll('-', '');
  const faults: Array<{ field: string; reason: string }> = [];
  const lines = positions.map((p, i) => {
    const payee = payees.get(p.partner_id);
    const field = `partners.${p.partner_id}`;
    if (!payee) faults.push({ field, reason: 'no bank details' });
    else if (payee.currency !== period.currency)
      faults.push({
        field,
        reason: `bank account in ${payee.currency}, period in ${period.currency}`,
      });
    return [
      i + 1,
      p.net_minor > 0 ? 'pay' : 'collect',
      p.partner_id,
      payee?.code,
      csvText(payee?.accountName ?? ''),
      payee?.accountNumber,
      period.currency,
      Math.abs(p.net_minor),
      `AH-${day}-${payee?.code}`,
      p.payment_reference === null ? '' : csvText(p.payment_reference),
    ].join(',');
  });
  if (faults.length > 0)
    throw new AppError('conflict', 'Some partners cannot be paid as their details stand.', {
      fields: faults,
    });
  return `${[paymentFileHeader, ...lines].join('\n')}\n`;
}
