import { sql } from 'kysely';
import { type Db, type EventType, recordEvents } from '../platform/index.ts';

/**
 * Events about members, told to the partners each member is linked to (and to no one else),
 * each partner with its own customer id for the member. Written with the caller's
 * transaction, so the event commits with the change it reports.
 */
export async function recordMemberEvents(
  db: Db,
  events: { memberId: string; type: EventType; data: Record<string, unknown>; at: Date }[],
): Promise<void> {
  if (events.length === 0) return;
  const { rows: links } = await sql<{ member_id: string; partner_id: string; customer_id: string }>`
    SELECT member_id, partner_id, partner_customer_id AS customer_id FROM member_links
    WHERE member_id = ANY(${events.map((e) => e.memberId)}::uuid[]) AND unlinked_at IS NULL`.execute(
    db,
  );
  await recordEvents(
    db,
    events.map((e) => {
      const own = links.filter((l) => l.member_id === e.memberId);
      return {
        type: e.type,
        occurredAt: e.at,
        audience: own.map((l) => l.partner_id),
        data: { memberId: e.memberId, ...e.data },
        audienceData: Object.fromEntries(
          own.map((l) => [l.partner_id, { customerId: l.customer_id }]),
        ),
      };
    }),
  );
}
