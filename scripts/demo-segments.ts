/**
 * The demo's member segments: a member whose last purchase is months old (dormant), and the
 * first run of the segments, computed when the demo is seeded so that the operator sees new,
 * active and dormant members at once. Idempotent: the old purchase is keyed by its event
 * reference, and segments are computed only when no run exists yet (the daily job and
 * POST /v1/admin/segments/runs compute them again).
 */
import {
  computeSegments,
  findMemberByPhone,
  latestSegmentRun,
  recordGrowthEvent,
} from '../members/index.ts';
import type { Services } from '../platform/index.ts';

const dayMs = 86_400_000;

/** Members who shopped once, long ago: the ones a win-back campaign is for. */
export const demoDormantMembers = [
  { phone: '+8613800000005', displayName: 'Zhao Lei', joinedDaysAgo: 700 },
];

const dormantPurchases = [
  { phone: '+8613800000005', partner: 'lotus-fresh', amountMinor: 18_800, daysAgo: 150 },
];

export async function seedDemoSegments(services: Pick<Services, 'db' | 'clock'>): Promise<void> {
  const { db, clock } = services;
  for (const p of dormantPurchases) {
    const [member, partner] = await Promise.all([
      findMemberByPhone(db, p.phone),
      db.selectFrom('partners').select('id').where('code', '=', p.partner).executeTakeFirst(),
    ]);
    if (!member || !partner) continue;
    const eventRef = `demo-old-spend-${p.phone}`;
    const seen = await db
      .selectFrom('growth_events')
      .select('id')
      .where('partner_id', '=', partner.id)
      .where('event_ref', '=', eventRef)
      .executeTakeFirst();
    if (seen) continue;
    await recordGrowthEvent(services, {
      memberId: member.id,
      partnerId: partner.id,
      kind: 'purchase',
      amount: p.amountMinor,
      eventRef,
      occurredAt: new Date(clock.now().getTime() - p.daysAgo * dayMs),
    });
  }
  if (!(await latestSegmentRun(db))) await computeSegments(services);
}
