import { type Db, type EventType, recordEvent } from '../platform/index.ts';

/**
 * A period's step (computed, approved, paid) told to every partner with a position in it, in
 * the transaction that takes the step; each partner is told its own figures only.
 */
export async function recordPeriodEvent(
  tx: Db,
  type: Extract<EventType, `settlement.${string}`>,
  period: { id: string; starts_at: Date; ends_at: Date },
  at: Date,
): Promise<void> {
  const positions = await tx
    .selectFrom('settlement_positions')
    .select(['partner_id', 'net_minor', 'fees_minor', 'payment_reference'])
    .where('period_id', '=', period.id)
    .execute();
  await recordEvent(tx, {
    type,
    occurredAt: at,
    audience: positions.map((p) => p.partner_id),
    data: {
      periodId: period.id,
      startsAt: period.starts_at.toISOString(),
      endsAt: period.ends_at.toISOString(),
    },
    audienceData: Object.fromEntries(
      positions.map((p) => [
        p.partner_id,
        { netMinor: p.net_minor, feesMinor: p.fees_minor, paymentReference: p.payment_reference },
      ]),
    ),
  });
}
