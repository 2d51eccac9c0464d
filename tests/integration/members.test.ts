import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeMembership,
  enrolAtPartner,
  enrolMember,
  type ForfeitPoints,
  findMemberById,
  findMemberByPartnerCustomerId,
  findMemberByPhone,
  linkPartnerCustomer,
  memberLinks,
  normaliseEmail,
  normalisePhone,
  updateProfile,
} from '../../members/index.ts';
import { AppError } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { createPartner, uniquePhone } from '../support/members.ts';

let hub: TestHub;
let jade: string;
let books: string;
beforeAll(async () => {
  hub = await createTestHub();
  jade = await createPartner(hub.services.db, 'jade');
  books = await createPartner(hub.services.db, 'books');
});
afterAll(async () => {
  await hub.close();
});

const noPoints: ForfeitPoints = async () => {};

describe('contact normalisation', () => {
  it('stores phones in E.164 and emails lower-cased', () => {
    expect(normalisePhone('138 0000 0001')).toBe('+8613800000001');
    expect(normalisePhone('+86 138-0000-0001')).toBe('+8613800000001');
    expect(normalisePhone('008613800000001')).toBe('+8613800000001');
    expect(normalisePhone('12345')).toBeNull();
    expect(normaliseEmail('  Li.Wei@Example.COM ')).toBe('li.wei@example.com');
    expect(normaliseEmail('not-an-email')).toBeNull();
  });
});

describe('enrolment', () => {
  it('enrols a member by themselves and refuses the same contact twice, whatever its spelling', async () => {
    const member = await enrolMember(hub.services, {
      phone: '139 1111 2222',
      email: 'Someone@Example.com',
      displayName: 'Someone',
      consents: { marketing: true },
    });
    expect(member).toMatchObject({
      phone: '+8613911112222',
      email: 'someone@example.com',
      status: 'active',
      tierCode: 'ordinary',
      consents: { marketing: true, partnerSharing: false },
    });
    await expect(enrolMember(hub.services, { phone: '+8613911112222' })).rejects.toMatchObject({
      type: 'conflict',
    });
    await expect(enrolMember(hub.services, { email: 'SOMEONE@example.com' })).rejects.toMatchObject(
      { type: 'conflict' },
    );
  });

  it('refuses enrolment without any contact, naming the field', async () => {
    const error = await enrolMember(hub.services, { displayName: 'Nobody' }).catch((e) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ type: 'validation_failed', fields: [{ field: 'phone' }] });
  });

  it('lets a partner enrol its customer, and finds the same member at another partner by phone', async () => {
    const phone = uniquePhone();
    const first = await enrolAtPartner(hub.services, {
      partnerId: jade,
      partnerCustomerId: 'JADE-001',
      phone,
      displayName: 'Zhou',
    });
    expect(first).toMatchObject({ created: true, linked: true });
    expect(first.member.enrolledByPartnerId).toBe(jade);

    const again = await enrolAtPartner(hub.services, {
      partnerId: jade,
      partnerCustomerId: 'JADE-001',
      phone,
    });
    expect(again).toMatchObject({ created: false, linked: false, member: { id: first.member.id } });

    const elsewhere = await enrolAtPartner(hub.services, {
      partnerId: books,
      partnerCustomerId: 'B-77',
      phone,
    });
    expect(elsewhere).toMatchObject({
      created: false,
      linked: true,
      member: { id: first.member.id },
    });

    expect((await findMemberByPartnerCustomerId(hub.services.db, books, 'B-77'))?.id).toBe(
      first.member.id,
    );
    expect((await findMemberByPhone(hub.services.db, phone))?.id).toBe(first.member.id);
    expect(await memberLinks(hub.services.db, first.member.id)).toHaveLength(2);
    expect(await memberLinks(hub.services.db, first.member.id, books)).toEqual([
      expect.objectContaining({ partnerId: books, partnerCustomerId: 'B-77' }),
    ]);
  });

  it('refuses a customer id already linked to another member, and a second id at one partner', async () => {
    const a = await enrolAtPartner(hub.services, {
      partnerId: jade,
      partnerCustomerId: 'JADE-A',
      phone: uniquePhone(),
    });
    const b = await enrolMember(hub.services, { phone: uniquePhone() });
    await expect(
      linkPartnerCustomer(hub.services, {
        memberId: b.id,
        partnerId: jade,
        partnerCustomerId: 'JADE-A',
      }),
    ).rejects.toMatchObject({ type: 'conflict' });
    await expect(
      linkPartnerCustomer(hub.services, {
        memberId: a.member.id,
        partnerId: jade,
        partnerCustomerId: 'JADE-A2',
      }),
    ).rejects.toMatchObject({ type: 'conflict' });
    await expect(
      enrolAtPartner(hub.services, {
        partnerId: jade,
        partnerCustomerId: 'JADE-A',
        phone: b.phone,
      }),
    ).rejects.toMatchObject({ type: 'conflict' });
  });

  it('keeps one member when two enrolments of one phone race', async () => {
    const phone = uniquePhone();
    const results = await Promise.all([
      enrolAtPartner(hub.services, { partnerId: jade, partnerCustomerId: 'RACE-1', phone }),
      enrolAtPartner(hub.services, { partnerId: books, partnerCustomerId: 'RACE-2', phone }),
    ]);
    expect(new Set(results.map((r) => r.member.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });
});

describe('consents and closing', () => {
  it('records consent changes with their time', async () => {
    const member = await enrolMember(hub.services, { phone: uniquePhone() });
    expect(member.consents.updatedAt).toBeNull();
    const updated = await updateProfile(hub.services, member.id, {
      consents: { partnerSharing: true },
    });
    expect(updated.consents).toMatchObject({ marketing: false, partnerSharing: true });
    expect(updated.consents.updatedAt).toBeInstanceOf(Date);
  });

  it('closes a membership: points go through the ledger seam, history stays, the contact is freed', async () => {
    const phone = uniquePhone();
    const { member } = await enrolAtPartner(hub.services, {
      partnerId: jade,
      partnerCustomerId: 'CLOSE-1',
      phone,
    });
    const calls: { memberId: string; policy: string; idempotencyKey: string }[] = [];
    const closed = await closeMembership(hub.services, {
      memberId: member.id,
      reason: 'member asked',
      forfeitPoints: async ({ memberId, policy, idempotencyKey }) => {
        calls.push({ memberId, policy, idempotencyKey });
      },
    });
    expect(closed).toMatchObject({ status: 'closed', phone: null });
    expect(calls).toEqual([
      { memberId: member.id, policy: 'forfeit', idempotencyKey: `member-close:${member.id}` },
    ]);
    // Closing again changes nothing and forfeits nothing again.
    await closeMembership(hub.services, {
      memberId: member.id,
      reason: 'again',
      forfeitPoints: noPoints,
    });
    expect(calls).toHaveLength(1);

    expect(await findMemberById(hub.services.db, member.id)).toMatchObject({ status: 'closed' });
    expect(await findMemberByPartnerCustomerId(hub.services.db, jade, 'CLOSE-1')).toBeUndefined();
    const kept = await hub.services.db
      .selectFrom('members')
      .select(['closed_phone'])
      .where('id', '=', member.id)
      .executeTakeFirstOrThrow();
    expect(kept.closed_phone).toBe(phone);
    const again = await enrolAtPartner(hub.services, {
      partnerId: jade,
      partnerCustomerId: 'CLOSE-1',
      phone,
    });
    expect(again.created).toBe(true);
    expect(again.member.id).not.toBe(member.id);
  });

  it('leaves the membership open when the ledger refuses to settle the points', async () => {
    const member = await enrolMember(hub.services, { phone: uniquePhone() });
    await expect(
      closeMembership(hub.services, {
        memberId: member.id,
        reason: 'x',
        forfeitPoints: async () => {
          throw new AppError('business_rule', 'ledger says no');
        },
      }),
    ).rejects.toMatchObject({ type: 'business_rule' });
    expect(await findMemberById(hub.services.db, member.id)).toMatchObject({ status: 'active' });
  });
});
