import { sql } from 'kysely';
import {
  type AuditActor,
  type Db,
  newId,
  recordAudit,
  type SegmentName,
} from '../platform/index.ts';
import type { MemberDeps } from './members.ts';
import { addDays, addMonths, loadMembershipSettings, type MembershipSettings } from './settings.ts';

/**
 * Segments the operator and partners ask for, computed by a job into member_segments:
 *   new        enrolled within the last newMemberDays;
 *   active     otherwise, some activity (a growth event) within dormantAfterDays;
 *   dormant    otherwise;
 *   super_user also, the top superUserPercent of open memberships by 12-month spend (purchases
 *              less refunds), among members who spent anything.
 * Each run replaces the previous one in one transaction, so readers see one run whole.
 */

export const segmentNames: SegmentName[] = ['new', 'active', 'dormant', 'super_user'];

export type SegmentRun = { runId: string; computedAt: Date; counts: Record<SegmentName, number> };

/** A run asked for this soon after the last one is answered with it (a double click, a retry). */
export const segmentRunReuseMs = 60_000;

export type ComputedSegmentRun = SegmentRun & {
  /** The latest run was recent enough (reuseRecentRun) and is answered again. */
  reused: boolean;
};

/**
 * Computes the segments: daily (the job), when the demo is seeded, and when an operator asks
 * (requestedBy: written to the audit log with the run). With reuseRecentRun, a run computed
 * within segmentRunReuseMs is answered instead of computing another, so that asking twice,
 * or twice at once, computes once.
 */
export async function computeSegments(
  deps: MemberDeps,
  options: { reuseRecentRun?: boolean; requestedBy?: AuditActor } = {},
): Promise<ComputedSegmentRun> {
  const settings = await loadMembershipSettings(deps.db);
  return deps.db.transaction().execute(async (tx) => {
    // One run at a time; a second one waits and then replaces the first (or reuses it).
    await sql`SELECT pg_advisory_xact_lock(hashtext('member_segments'))`.execute(tx);
    const now = deps.clock.now();
    const latest = await latestSegmentRun(tx);
    if (
      options.reuseRecentRun &&
      latest &&
      latest.computedAt.getTime() > now.getTime() - segmentRunReuseMs
    ) {
      return { ...latest, reused: true };
    }
    const run = await writeSegments(tx, settings, now);
    if (options.requestedBy) {
      await recordAudit(tx, {
        actor: options.requestedBy,
        action: 'segments.compute',
        subject: run.runId,
        before: latest ? { runId: latest.runId, counts: latest.counts } : null,
        after: { runId: run.runId, counts: run.counts },
        at: now,
      });
    }
    return { ...run, reused: false };
  });
}

async function writeSegments(tx: Db, settings: MembershipSettings, now: Date): Promise<SegmentRun> {
  const newSince = addDays(now, -settings.newMemberDays);
  const activeSince = addDays(now, -settings.dormantAfterDays);
  const spendSince = addMonths(now, -12);
  const runId = newId();
  await tx.insertInto('segment_runs').values({ id: runId, computed_at: now, counts: {} }).execute();
  await tx.deleteFrom('member_segments').execute();
  await sql`
    WITH stats AS (
      SELECT m.id, m.created_at,
        max(g.occurred_at) AS last_activity,
        coalesce(sum(g.amount) FILTER (
          WHERE g.kind IN ('purchase', 'refund') AND g.occurred_at > ${spendSince}::timestamptz
        ), 0)::int8 AS spend
      FROM members m
      LEFT JOIN growth_events g ON g.member_id = m.id AND g.occurred_at <= ${now}::timestamptz
      WHERE m.status = 'active' AND m.created_at <= ${now}::timestamptz
      GROUP BY m.id
    ),
    ranked AS (
      SELECT stats.*,
        row_number() OVER (ORDER BY spend DESC, id) AS spend_rank,
        count(*) OVER () AS population
      FROM stats
    )
    INSERT INTO member_segments (member_id, segment, run_id, last_activity_at, spend_12m_minor)
    SELECT id,
      CASE
        WHEN created_at > ${newSince}::timestamptz THEN 'new'
        WHEN last_activity > ${activeSince}::timestamptz THEN 'active'
        ELSE 'dormant'
      END,
      ${runId}::uuid, last_activity, spend
    FROM ranked
    UNION ALL
    SELECT id, 'super_user', ${runId}::uuid, last_activity, spend
    FROM ranked
    WHERE spend > 0 AND spend_rank <= ceil(population * ${settings.superUserPercent}::numeric / 100)
  `.execute(tx);
  const rows = await tx
    .selectFrom('member_segments')
    .select(['segment', sql<number>`count(*)::int8`.as('n')])
    .groupBy('segment')
    .execute();
  const counts = Object.fromEntries(segmentNames.map((s) => [s, 0])) as Record<SegmentName, number>;
  for (const row of rows) counts[row.segment] = row.n;
  await tx.updateTable('segment_runs').set({ counts }).where('id', '=', runId).execute();
  return { runId, computedAt: now, counts };
}

export type SegmentMember = {
  memberId: string;
  lastActivityAt: Date | null;
  spend12mMinor: number;
};

/** The latest run's counts, or undefined before the first run. */
export async function latestSegmentRun(db: Db): Promise<SegmentRun | undefined> {
  const run = await db
    .selectFrom('segment_runs')
    .selectAll()
    .orderBy('computed_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return (
    run && {
      runId: run.id,
      computedAt: run.computed_at,
      counts: run.counts as SegmentRun['counts'],
    }
  );
}

/** Members of one segment, a page at a time (after: the last member id of the previous page). */
export async function readSegment(
  db: Db,
  segment: SegmentName,
  page: { limit?: number; after?: string } = {},
): Promise<SegmentMember[]> {
  let query = db
    .selectFrom('member_segments')
    .select(['member_id', 'last_activity_at', 'spend_12m_minor'])
    .where('segment', '=', segment);
  if (page.after) query = query.where('member_id', '>', page.after);
  const rows = await query
    .orderBy('member_id')
    .limit(Math.min(Math.max(page.limit ?? 100, 1), 1000))
    .execute();
  return rows.map((r) => ({
    memberId: r.member_id,
    lastActivityAt: r.last_activity_at,
    spend12mMinor: r.spend_12m_minor,
  }));
}

/** The segments one member is in (latest run). */
export async function memberSegments(db: Db, memberId: string): Promise<SegmentName[]> {
  const rows = await db
    .selectFrom('member_segments')
    .select('segment')
    .where('member_id', '=', memberId)
    .execute();
  return rows.map((r) => r.segment).sort();
}

/**
 * The segments a partner may be told for a member (the till's member lookup shows them): the
 * latest run's, only if the member allows partner sharing (consent_partner_sharing) and the
 * membership is open. null when the member does not share: the partner is told nothing, not
 * even that the member has no segment. An empty list: shared, but in no segment (before the
 * first run, or a member the run did not see).
 */
export async function segmentsVisibleToPartner(
  db: Db,
  memberId: string,
): Promise<SegmentName[] | null> {
  const rows = await db
    .selectFrom('members as m')
    .leftJoin('member_segments as s', 's.member_id', 'm.id')
    .select('s.segment')
    .where('m.id', '=', memberId)
    .where('m.status', '=', 'active')
    .where('m.consent_partner_sharing', '=', true)
    .execute();
  if (rows.length === 0) return null;
  return rows.flatMap((r) => (r.segment === null ? [] : [r.segment])).sort();
}
