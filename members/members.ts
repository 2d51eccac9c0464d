import type { Selectable } from 'kysely';
import {
  AppError,
  type Db,
  isUniqueViolation,
  isUuid,
  type MembersTable,
  newId,
  retryOnUniqueViolation,
  type Services,
} from '../platform/index.ts';
import { type Contact, parseContact } from './contact.ts';
import { recordMemberEvents } from './events.ts';
import { loadMembershipSettings } from './settings.ts';

/** What the membership functions need: the database (or a transaction) and the clock. */
export type MemberDeps = Pick<Services, 'db' | 'clock'>;

export type Consents = { marketing: boolean; partnerSharing: boolean; updatedAt: Date | null };

export type MemberProfile = {
  id: string;
  phone: string | null;
  email: string | null;
  displayName: string;
  status: 'active' | 'closed';
  tierCode: string;
  tierSince: Date;
  tierReviewAt: Date | null;
  consents: Consents;
  enrolledByPartnerId: string | null;
  createdAt: Date;
  closedAt: Date | null;
};

type MemberRow = Selectable<MembersTable>;

export function toProfile(row: MemberRow): MemberProfile {
  return {
    id: row.id,
    phone: row.phone,
    email: row.email,
    displayName: row.display_name,
    status: row.status,
    tierCode: row.tier_code,
    tierSince: row.tier_since,
    tierReviewAt: row.tier_review_at,
    consents: {
      marketing: row.consent_marketing,
      partnerSharing: row.consent_partner_sharing,
      updatedAt: row.consents_updated_at,
    },
    enrolledByPartnerId: row.enrolled_by_partner_id,
    createdAt: row.created_at,
    closedAt: row.closed_at,
  };
}

export async function findMemberById(db: Db, memberId: string): Promise<MemberProfile | undefined> {
  const row = await db
    .selectFrom('members')
    .selectAll()
    .where('id', '=', memberId)
    .executeTakeFirst();
  return row && toProfile(row);
}

/** Active members only: a closed membership has released its contact. */
export async function findMemberByPhone(db: Db, phone: string): Promise<MemberProfile | undefined> {
  const { phone: normal } = parseContact({ phone });
  if (!normal) return undefined;
  const row = await db
    .selectFrom('members')
    .selectAll()
    .where('phone', '=', normal)
    .executeTakeFirst();
  return row && toProfile(row);
}

export async function findMemberByEmail(db: Db, email: string): Promise<MemberProfile | undefined> {
  const { email: normal } = parseContact({ email });
  if (!normal) return undefined;
  const row = await db
    .selectFrom('members')
    .selectAll()
    .where('email', '=', normal)
    .executeTakeFirst();
  return row && toProfile(row);
}

export type PartnerLookup = { customerId: string } | { phone: string } | { memberId: string };

/**
 * A member as one partner may find them: by its own customer id; or, by phone or alliance
 * member id, only a member linked to this partner or who allows partner sharing. Anyone else
 * is not found, exactly like an unknown phone, so a lookup does not tell who is a member.
 */
export async function findMemberForPartner(
  db: Db,
  partnerId: string,
  lookup: PartnerLookup,
): Promise<MemberProfile | undefined> {
  if ('customerId' in lookup) {
    return findMemberByPartnerCustomerId(db, partnerId, lookup.customerId);
  }
  let query = db.selectFrom('members as m').selectAll('m');
  if ('phone' in lookup) {
    const { phone } = parseContact({ phone: lookup.phone });
    query = query.where('m.phone', '=', phone);
  } else {
    if (!isUuid(lookup.memberId)) return undefined;
    query = query.where('m.id', '=', lookup.memberId);
  }
  const row = await query
    .where((eb) =>
      eb.or([
        eb('m.consent_partner_sharing', '=', true),
        eb.exists(
          eb
            .selectFrom('member_links as l')
            .select('l.id')
            .whereRef('l.member_id', '=', 'm.id')
            .where('l.partner_id', '=', partnerId)
            .where('l.unlinked_at', 'is', null),
        ),
      ]),
    )
    .executeTakeFirst();
  return row && toProfile(row);
}

export async function findMemberByPartnerCustomerId(
  db: Db,
  partnerId: string,
  partnerCustomerId: string,
): Promise<MemberProfile | undefined> {
  const row = await db
    .selectFrom('member_links as l')
    .innerJoin('members as m', 'm.id', 'l.member_id')
    .selectAll('m')
    .where('l.partner_id', '=', partnerId)
    .where('l.partner_customer_id', '=', partnerCustomerId)
    .where('l.unlinked_at', 'is', null)
    .executeTakeFirst();
  return row && toProfile(row);
}

/** The member whose contact this is, refusing contacts that point at two different members. */
async function findByContact(db: Db, contact: Contact): Promise<MemberRow | undefined> {
  const byPhone = contact.phone
    ? await db
        .selectFrom('members')
        .selectAll()
        .where('phone', '=', contact.phone)
        .executeTakeFirst()
    : undefined;
  const byEmail = contact.email
    ? await db
        .selectFrom('members')
        .selectAll()
        .where('email', '=', contact.email)
        .executeTakeFirst()
    : undefined;
  if (byPhone && byEmail && byPhone.id !== byEmail.id) {
    throw new AppError('conflict', 'The phone and the email belong to two different members.');
  }
  return byPhone ?? byEmail;
}

export type EnrolInput = {
  phone?: string | null;
  email?: string | null;
  displayName?: string;
  consents?: { marketing?: boolean; partnerSharing?: boolean };
};

function checkDisplayName(value: string): string {
  const name = value.trim();
  if (name.length > 100) {
    throw new AppError('validation_failed', 'The display name is too long.', {
      fields: [{ field: 'displayName', reason: 'at most 100 characters' }],
    });
  }
  return name;
}

function newMemberValues(deps: MemberDeps, contact: Contact, input: EnrolInput) {
  const now = deps.clock.now();
  const displayName = checkDisplayName(input.displayName ?? '');
  const hasConsents = input.consents !== undefined;
  return {
    id: newId(),
    phone: contact.phone,
    email: contact.email,
    display_name: displayName,
    created_at: now,
    tier_since: now,
    consent_marketing: input.consents?.marketing ?? false,
    consent_partner_sharing: input.consents?.partnerSharing ?? false,
    consents_updated_at: hasConsents ? now : null,
  };
}

/** A person joins by themselves. Their contact must not belong to a member already. */
export async function enrolMember(deps: MemberDeps, input: EnrolInput): Promise<MemberProfile> {
  const contact = parseContact(input);
  const values = newMemberValues(deps, contact, input);
  try {
    const row = await deps.db
      .insertInto('members')
      .values(values)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toProfile(row);
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new AppError('conflict', 'A member with this phone or email already exists.');
    }
    throw error;
  }
}

export type EnrolAtPartnerInput = EnrolInput & { partnerId: string; partnerCustomerId: string };

export type EnrolAtPartnerResult = {
  member: MemberProfile;
  /** A new alliance member was created. */
  created: boolean;
  /** The partner's customer id was linked by this call (false: it was linked already). */
  linked: boolean;
};

/**
 * A partner enrols its customer: the member found by the partner's customer id, else by
 * contact (then linked), else a new member (linked). Safe to repeat: the same call again
 * finds the link and changes nothing. An existing member's contacts are never changed.
 */
export async function enrolAtPartner(
  deps: MemberDeps,
  input: EnrolAtPartnerInput,
): Promise<EnrolAtPartnerResult> {
  const customerId = checkCustomerId(input.partnerCustomerId);
  const contact = parseContact(input, { required: false });
  return retryOnUniqueViolation(() =>
    deps.db.transaction().execute(async (tx) => {
      await assertPartnerActive(tx, input.partnerId);
      const linked = await findMemberByPartnerCustomerId(tx, input.partnerId, customerId);
      const byContact = await findByContact(tx, contact);
      if (linked) {
        if (byContact && byContact.id !== linked.id) {
          throw new AppError(
            'conflict',
            'This customer id is linked to another member than the contact.',
          );
        }
        refuseNewContact(linked, contact);
        return { member: linked, created: false, linked: false };
      }
      if (byContact) {
        refuseNewContact(byContact, contact);
        await insertLink(tx, deps, {
          memberId: byContact.id,
          partnerId: input.partnerId,
          customerId,
        });
        return { member: toProfile(byContact), created: false, linked: true };
      }
      if (!contact.phone && !contact.email) {
        throw new AppError('validation_failed', 'A new member needs a phone or an email.', {
          fields: [{ field: 'phone', reason: 'a phone or an email is required' }],
        });
      }
      const row = await tx
        .insertInto('members')
        .values({
          ...newMemberValues(deps, contact, input),
          enrolled_by_partner_id: input.partnerId,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await insertLink(tx, deps, { memberId: row.id, partnerId: input.partnerId, customerId });
      return { member: toProfile(row), created: true, linked: true };
    }),
  );
}

/**
 * A partner finds an existing member by a contact, but never adds or changes one: a contact
 * proves itself only by a sign-in code sent to it, and one a partner attached would let its
 * holder sign in as the member. A contact the member does not have is refused, by name.
 */
function refuseNewContact(
  member: { phone: string | null; email: string | null },
  contact: Contact,
): void {
  const fields = (['phone', 'email'] as const)
    .filter((field) => contact[field] !== null && contact[field] !== member[field])
    .map((field) => ({
      field,
      reason: `not the member's ${field}: a partner cannot add or change a member's contact`,
    }));
  if (fields.length > 0) {
    throw new AppError('conflict', "The member's contact differs from the one given.", { fields });
  }
}

function checkCustomerId(value: string): string {
  const id = value.trim();
  if (id.length < 1 || id.length > 128) {
    throw new AppError('validation_failed', 'The partner customer id is not valid.', {
      fields: [{ field: 'partnerCustomerId', reason: '1 to 128 characters' }],
    });
  }
  return id;
}

async function assertPartnerActive(db: Db, partnerId: string): Promise<void> {
  const partner = await db
    .selectFrom('partners')
    .select('status')
    .where('id', '=', partnerId)
    .executeTakeFirst();
  if (!partner) throw new AppError('not_found', 'No such partner.');
  if (partner.status !== 'active') throw new AppError('forbidden', 'The partner is suspended.');
}

async function insertLink(
  db: Db,
  deps: MemberDeps,
  link: { memberId: string; partnerId: string; customerId: string },
): Promise<void> {
  const existing = await db
    .selectFrom('member_links')
    .select('partner_customer_id')
    .where('partner_id', '=', link.partnerId)
    .where('member_id', '=', link.memberId)
    .where('unlinked_at', 'is', null)
    .executeTakeFirst();
  if (existing && existing.partner_customer_id !== link.customerId) {
    throw new AppError(
      'conflict',
      'The member is already linked to another customer id of this partner.',
    );
  }
  if (existing) return;
  await db
    .insertInto('member_links')
    .values({
      id: newId(),
      member_id: link.memberId,
      partner_id: link.partnerId,
      partner_customer_id: link.customerId,
      linked_at: deps.clock.now(),
    })
    .execute();
}

/** Links a partner's customer id to an existing active member (idempotent). */
export async function linkPartnerCustomer(
  deps: MemberDeps,
  input: { memberId: string; partnerId: string; partnerCustomerId: string },
): Promise<void> {
  const customerId = checkCustomerId(input.partnerCustomerId);
  await retryOnUniqueViolation(() =>
    deps.db.transaction().execute(async (tx) => {
      await assertPartnerActive(tx, input.partnerId);
      await requireActiveMember(tx, input.memberId);
      const other = await findMemberByPartnerCustomerId(tx, input.partnerId, customerId);
      if (other && other.id !== input.memberId) {
        throw new AppError('conflict', 'This customer id is linked to another member.');
      }
      await insertLink(tx, deps, {
        memberId: input.memberId,
        partnerId: input.partnerId,
        customerId,
      });
    }),
  );
}

export type MemberLinkView = { partnerId: string; partnerCustomerId: string; linkedAt: Date };

/** A member's current links; with partnerId, only that partner's (a partner sees only its own). */
export async function memberLinks(
  db: Db,
  memberId: string,
  partnerId?: string,
): Promise<MemberLinkView[]> {
  let query = db
    .selectFrom('member_links')
    .select(['partner_id', 'partner_customer_id', 'linked_at'])
    .where('member_id', '=', memberId)
    .where('unlinked_at', 'is', null);
  if (partnerId !== undefined) query = query.where('partner_id', '=', partnerId);
  const rows = await query.orderBy('linked_at').execute();
  return rows.map((r) => ({
    partnerId: r.partner_id,
    partnerCustomerId: r.partner_customer_id,
    linkedAt: r.linked_at,
  }));
}

export async function updateProfile(
  deps: MemberDeps,
  memberId: string,
  changes: { displayName?: string; consents?: { marketing?: boolean; partnerSharing?: boolean } },
): Promise<MemberProfile> {
  const now = deps.clock.now();
  const set: {
    display_name?: string;
    consent_marketing?: boolean;
    consent_partner_sharing?: boolean;
    consents_updated_at?: Date;
  } = {};
  if (changes.displayName !== undefined) set.display_name = checkDisplayName(changes.displayName);
  if (changes.consents?.marketing !== undefined) set.consent_marketing = changes.consents.marketing;
  if (changes.consents?.partnerSharing !== undefined)
    set.consent_partner_sharing = changes.consents.partnerSharing;
  if (set.consent_marketing !== undefined || set.consent_partner_sharing !== undefined)
    set.consents_updated_at = now;
  const row =
    Object.keys(set).length === 0
      ? await deps.db
          .selectFrom('members')
          .selectAll()
          .where('id', '=', memberId)
          .where('status', '=', 'active')
          .executeTakeFirst()
      : await deps.db.transaction().execute(async (tx) => {
          const before = await tx
            .selectFrom('members')
            .select(['consent_marketing', 'consent_partner_sharing'])
            .where('id', '=', memberId)
            .forUpdate()
            .executeTakeFirst();
          const after = await tx
            .updateTable('members')
            .set(set)
            .where('id', '=', memberId)
            .where('status', '=', 'active')
            .returningAll()
            .executeTakeFirst();
          if (before && after) await recordConsentWithdrawn(tx, before, after, now);
          return after;
        });
  if (!row) throw new AppError('not_found', 'No such member.');
  return toProfile(row);
}

/** The partners linked to the member are told which consents it withdrew, if any. */
async function recordConsentWithdrawn(
  tx: Db,
  before: { consent_marketing: boolean; consent_partner_sharing: boolean },
  after: MemberRow,
  at: Date,
): Promise<void> {
  const withdrawn = [
    ...(before.consent_marketing && !after.consent_marketing ? ['marketing'] : []),
    ...(before.consent_partner_sharing && !after.consent_partner_sharing ? ['partnerSharing'] : []),
  ];
  if (withdrawn.length === 0) return;
  await recordMemberEvents(tx, [
    { memberId: after.id, type: 'member.consent_withdrawn', data: { withdrawn }, at },
  ]);
}

/**
 * The ledger's part of closing a membership: forfeit the member's points or pay them out, as
 * the alliance's setting says. Called inside the closing transaction (tx), so a failure leaves
 * the membership open. Must be idempotent by idempotencyKey.
 */
export type ForfeitPoints = (input: {
  tx: Db;
  memberId: string;
  policy: 'forfeit' | 'pay_out';
  idempotencyKey: string;
  at: Date;
}) => Promise<void>;

/**
 * Closes a membership. History stays (growth events, tier changes, terms, benefit uses, ended
 * links); the contact is moved aside so that the person may enrol again; the paid membership
 * ends. Closing a closed membership changes nothing.
 */
export async function closeMembership(
  deps: MemberDeps,
  input: { memberId: string; reason: string; forfeitPoints: ForfeitPoints },
): Promise<MemberProfile> {
  const settings = await loadMembershipSettings(deps.db);
  return deps.db.transaction().execute(async (tx) => {
    const now = deps.clock.now();
    const member = await tx
      .selectFrom('members')
      .selectAll()
      .where('id', '=', input.memberId)
      .forUpdate()
      .executeTakeFirst();
    if (!member) throw new AppError('not_found', 'No such member.');
    if (member.status === 'closed') return toProfile(member);
    await input.forfeitPoints({
      tx,
      memberId: member.id,
      policy: settings.closingPointsPolicy,
      idempotencyKey: `member-close:${member.id}`,
      at: now,
    });
    await tx
      .updateTable('member_links')
      .set({ unlinked_at: now })
      .where('member_id', '=', member.id)
      .where('unlinked_at', 'is', null)
      .execute();
    await tx
      .updateTable('paid_memberships')
      .set({ status: 'expired', cancelled_at: now, updated_at: now })
      .where('member_id', '=', member.id)
      .where('status', '<>', 'expired')
      .execute();
    const row = await tx
      .updateTable('members')
      .set({
        status: 'closed',
        closed_at: now,
        closed_reason: input.reason.slice(0, 500),
        closed_phone: member.phone,
        closed_email: member.email,
        phone: null,
        email: null,
        tier_review_at: null,
      })
      .where('id', '=', member.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toProfile(row);
  });
}

/** Throws not_found unless the member exists and is active. */
/**
 * Locks an active member's row (else not_found): the lock that serialises what one member's
 * requests decide (tier, fees, benefit uses) inside the caller's transaction.
 */
export async function lockActiveMember(tx: Db, memberId: string) {
  const member = await tx
    .selectFrom('members')
    .select(['id', 'status', 'tier_code'])
    .where('id', '=', memberId)
    .forUpdate()
    .executeTakeFirst();
  if (member?.status !== 'active') throw new AppError('not_found', 'No such member.');
  return member;
}

export async function requireActiveMember(db: Db, memberId: string): Promise<MemberRow> {
  const row = await db
    .selectFrom('members')
    .selectAll()
    .where('id', '=', memberId)
    .executeTakeFirst();
  if (row?.status !== 'active') throw new AppError('not_found', 'No such member.');
  return row;
}
