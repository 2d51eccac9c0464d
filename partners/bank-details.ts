import { AppError, type Db, newId, type PartnerBankDetails } from '../platform/index.ts';
import type { SettlementDetails } from './registry.ts';

/**
 * A partner's bank details, with their history: each change is a new row (the table refuses
 * updates and deletes), the latest is in force, and the partner's settlement_details column
 * keeps a copy of it for the views that show a partner. Written in the caller's transaction,
 * with the audit line of the change.
 */

export type BankDetailsView = {
  id: string;
  bankAccountName: string;
  bankAccountNumber: string;
  currency: string;
  setBy: string;
  setAt: string;
};

export function bankDetailsView(row: PartnerBankDetails): BankDetailsView {
  return {
    id: row.id,
    bankAccountName: row.account_name,
    bankAccountNumber: row.account_number,
    currency: row.currency,
    setBy: row.set_by,
    setAt: row.set_at.toISOString(),
  };
}

/** Records new details for the partner; `setBy` names who (`staff:<id>`, `onboarding`). */
export async function setBankDetails(
  tx: Db,
  input: { partnerId: string; details: SettlementDetails; setBy: string; at: Date },
): Promise<PartnerBankDetails> {
  const updated = await tx
    .updateTable('partners')
    .set({ settlement_details: { ...input.details } })
    .where('id', '=', input.partnerId)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) throw new AppError('not_found', 'No such partner.');
  return tx
    .insertInto('partner_bank_details')
    .values({
      id: newId(),
      partner_id: input.partnerId,
      account_name: input.details.bankAccountName,
      account_number: input.details.bankAccountNumber,
      currency: input.details.currency,
      set_by: input.setBy,
      set_at: input.at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The partner's details, newest (in force) first. */
export async function bankDetailsHistory(
  db: Db,
  partnerId: string,
  limit = 100,
): Promise<PartnerBankDetails[]> {
  return db
    .selectFrom('partner_bank_details')
    .selectAll()
    .where('partner_id', '=', partnerId)
    .orderBy('version', 'desc')
    .limit(limit)
    .execute();
}

/** The details in force for each partner that has any, with the partner's code. */
export async function bankDetailsInForce(
  db: Db,
  partnerIds: string[],
): Promise<Map<string, PartnerBankDetails & { code: string }>> {
  if (partnerIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('partner_bank_details as d')
    .innerJoin('partners as p', 'p.id', 'd.partner_id')
    .selectAll('d')
    .select('p.code')
    .distinctOn('d.partner_id')
    .where('d.partner_id', 'in', partnerIds)
    .orderBy('d.partner_id')
    .orderBy('d.version', 'desc')
    .execute();
  return new Map(rows.map((r) => [r.partner_id, r]));
}
