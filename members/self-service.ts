import { sql } from 'kysely';
import type { ExpiringPoints, Ledger } from '../ledger/index.ts';
import { AppError, type Db, databaseCache, type Services } from '../platform/index.ts';
import { allianceTimeZone } from './benefits.ts';
import { maskCustomerId } from './contact.ts';
import { pointsForfeiter } from './ledger-seams.ts';
import { closeMembership, type MemberDeps, type MemberProfile } from './members.ts';
import { isPaidMember } from './paid.ts';
import { addDays, cachedMembershipSettings, type MembershipSettings } from './settings.ts';

/**
 * What a signed-in member does for themselves: sees the points about to expire, sees and
 * removes the links brands hold to them, and closes their membership after a confirmation.
 */

/** How far ahead "expiring soon" looks. */
export const expiringSoonDays = 30;

export type PointsExpiringSoon = { withinDays: number; points: number; byDate: ExpiringPoints[] };

const timeZones = databaseCache<string>({
  ttlMs: 15_000,
  max: 1,
  load: async (db) => {
    const { rows } = await sql<{ tz: string }>`SELECT ${allianceTimeZone} AS tz`.execute(db);
    return rows[0]?.tz ?? 'Asia/Shanghai';
  },
});

/** The member's points that expire within expiringSoonDays, per date in the alliance's zone. */
export async function pointsExpiringSoon(
  deps: MemberDeps,
  ledger: Pick<Ledger, 'memberPointsExpiring'>,
  memberId: string,
): Promise<PointsExpiringSoon> {
  const now = deps.clock.now();
  const timeZone = await timeZones.get(deps.db, 'alliance');
  const byDate = await ledger.memberPointsExpiring(memberId, {
    from: now,
    until: addDays(now, expiringSoonDays),
    timeZone,
  });
  const points = byDate.reduce((sum, d) => sum + d.points, 0);
  return { withinDays: expiringSoonDays, points, byDate };
}

export type BrandLink = {
  partnerId: string;
  brand: string;
  /** The brand's customer id, masked (maskCustomerId): the member's own view only. */
  customerId: string;
  linkedAt: Date;
};

/** The brands that know the member by a customer id of theirs, oldest link first. */
export async function brandLinks(db: Db, memberId: string): Promise<BrandLink[]> {
  const rows = await db
    .selectFrom('member_links as l')
    .innerJoin('partners as p', 'p.id', 'l.partner_id')
    .select(['l.partner_id', 'p.brand', 'l.partner_customer_id', 'l.linked_at'])
    .where('l.member_id', '=', memberId)
    .where('l.unlinked_at', 'is', null)
    .orderBy('l.linked_at')
    .orderBy('l.id')
    .execute();
  return rows.map((r) => ({
    partnerId: r.partner_id,
    brand: r.brand,
    customerId: maskCustomerId(r.partner_customer_id),
    linkedAt: r.linked_at,
  }));
}

export type EndedLink = { partnerId: string; brand: string; unlinkedAt: Date };

/**
 * The member ends a brand's link, as closing the membership ends them all: the brand no longer
 * finds the member, nor earns for them, by its customer id; by phone or member id only if the
 * member shares with partners. History stays (the ended link, what was earned through it).
 */
export async function unlinkBrand(
  deps: MemberDeps,
  memberId: string,
  partnerId: string,
): Promise<EndedLink> {
  const now = deps.clock.now();
  const ended = await deps.db
    .updateTable('member_links')
    .set({ unlinked_at: now })
    .where('member_id', '=', memberId)
    .where('partner_id', '=', partnerId)
    .where('unlinked_at', 'is', null)
    .returning('partner_id')
    .executeTakeFirst();
  if (!ended) throw new AppError('not_found', 'No link to this brand.');
  const partner = await deps.db
    .selectFrom('partners')
    .select('brand')
    .where('id', '=', partnerId)
    .executeTakeFirstOrThrow();
  return { partnerId, brand: partner.brand, unlinkedAt: now };
}

/** A closing confirmation is good this long: the member decides on figures that are current. */
export const closingConfirmationTtlSeconds = 10 * 60;
const closingAudience = 'member-closing';

type ClosingDeps = Pick<Services, 'db' | 'clock' | 'hubSigner'>;

export type ClosingPreview = {
  pointsPolicy: MembershipSettings['closingPointsPolicy'];
  /** Points the member loses by closing now (held points included: see held). */
  pointsLost: number;
  /** Points held by a till's open authorisation: closing waits until it ends. */
  held: number;
  links: number;
  paidMembershipEnds: boolean;
  /** Send it back to close; good until confirmBy. */
  confirmation: string;
  confirmBy: Date;
};

/**
 * What closing would do, and the confirmation that closes: a token the hub signs for this
 * member, so that closing takes two deliberate requests, never one stray one.
 */
export async function previewClosing(
  deps: ClosingDeps,
  ledger: Pick<Ledger, 'memberPoints'>,
  memberId: string,
): Promise<ClosingPreview> {
  const now = deps.clock.now();
  const [settings, points, links, paid, confirmation] = await Promise.all([
    cachedMembershipSettings(deps.db),
    ledger.memberPoints(memberId),
    brandLinks(deps.db, memberId),
    isPaidMember(deps, memberId),
    deps.hubSigner.signJwt(
      {},
      {
        subject: memberId,
        audience: closingAudience,
        expiresInSeconds: closingConfirmationTtlSeconds,
        now,
      },
    ),
  ]);
  return {
    pointsPolicy: settings.closingPointsPolicy,
    pointsLost: points.balance,
    held: points.held,
    links: links.length,
    paidMembershipEnds: paid,
    confirmation,
    confirmBy: new Date(now.getTime() + closingConfirmationTtlSeconds * 1000),
  };
}

export type ClosedMembership = { profile: MemberProfile; pointsLost: number };

/**
 * The member closes their own membership with the confirmation previewClosing gave them:
 * points forfeited, links and the paid membership ended, in one transaction; every session of
 * the member stops working at once (verifyMemberSession reads the status).
 */
export async function closeOwnMembership(
  deps: ClosingDeps,
  ledger: Ledger,
  memberId: string,
  input: { confirmation: string; reason?: string },
): Promise<ClosedMembership> {
  await checkConfirmation(deps, memberId, input.confirmation);
  let pointsLost = 0;
  const profile = await closeMembership(deps, {
    memberId,
    reason: input.reason ? `closed by the member: ${input.reason}` : 'closed by the member',
    forfeitPoints: pointsForfeiter(ledger, (points) => {
      pointsLost = points;
    }),
  });
  return { profile, pointsLost };
}

async function checkConfirmation(
  deps: ClosingDeps,
  memberId: string,
  confirmation: string,
): Promise<void> {
  const subject = await deps.hubSigner
    .verifyJwt(confirmation, { audience: closingAudience, now: deps.clock.now() })
    .then((payload) => payload.sub)
    .catch(() => undefined);
  if (subject !== memberId) {
    throw new AppError('validation_failed', 'The confirmation is not valid.', {
      fields: [
        {
          field: 'confirmation',
          reason: `the confirmation from GET /v1/me/closing, at most ${closingConfirmationTtlSeconds / 60} minutes old`,
        },
      ],
    });
  }
}
