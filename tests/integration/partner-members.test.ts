import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import {
  enrolAtPartner,
  enrolMember,
  findMemberById,
  memberLinks,
  type SignInMessage,
  updateProfile,
} from '../../members/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { memberPost, uniquePhone } from '../support/members.ts';
import {
  idempotencyKey,
  newTestPartner,
  signedFetch,
  type TestApp,
  type TestPartner,
  uniqueCode,
} from '../support/partners.ts';

/** Sign-in codes as their owners receive them. */
const sent: SignInMessage[] = [];
let hub: TestHub;
let app: TestApp;
let jade: TestPartner;
let books: TestPartner;
beforeAll(async () => {
  hub = await createTestHub();
  app = createApp(hub.services, { signInSender: { send: async (m) => void sent.push(m) } });
  jade = await newTestPartner(hub);
  books = await newTestPartner(hub);
});
afterAll(async () => {
  await hub.close();
});

function enrolAt(partner: TestPartner, body: Record<string, string>) {
  return signedFetch(hub, app, partner.key, {
    method: 'POST',
    path: '/v1/partner/members',
    body,
    idempotencyKey: idempotencyKey(),
  });
}

function findAt(partner: TestPartner, query: string) {
  return signedFetch(hub, app, partner.key, {
    method: 'GET',
    path: `/v1/partner/members?${query}`,
  });
}

/** What a 404 tells the caller, without what differs per request. */
async function notFoundBody(res: Response) {
  expect(res.status).toBe(404);
  const {
    requestId: _requestId,
    instance: _instance,
    ...rest
  } = (await res.json()) as Record<string, unknown>;
  return rest;
}

describe("a partner and a member's contacts", () => {
  it('cannot attach an email to an existing member, so its holder cannot sign in as them', async () => {
    const member = await enrolMember(hub.services, { phone: uniquePhone() });
    const attacker = `${uniqueCode('mallory')}@example.test`;
    const res = await enrolAt(jade, {
      customerId: uniqueCode('c'),
      phone: member.phone ?? '',
      email: attacker,
    });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({
      type: '/docs/problems#conflict',
      errors: [{ field: 'email' }],
    });
    // Nothing changed: no email, no link.
    expect((await findMemberById(hub.services.db, member.id))?.email).toBeNull();
    expect(await memberLinks(hub.services.db, member.id)).toEqual([]);

    // The holder of the email gets a code for it, which opens no membership.
    const asked = await memberPost(app, '/v1/member/sign-in/code', { email: attacker });
    expect(asked.status).toBe(202);
    expect(sent.at(-1)?.memberId).toBeNull();
    const signIn = await memberPost(app, '/v1/member/sign-in/session', {
      email: attacker,
      code: sent.at(-1)?.code,
    });
    expect(signIn.status).toBe(404);
  });

  it("links by the member's own contacts, and refuses another phone for a linked customer", async () => {
    const member = await enrolMember(hub.services, {
      phone: uniquePhone(),
      email: `${uniqueCode('li')}@example.test`,
    });
    const customerId = uniqueCode('c');
    const linked = await enrolAt(jade, {
      customerId,
      phone: member.phone ?? '',
      email: member.email ?? '',
    });
    expect(linked.status).toBe(200);
    expect(await linked.json()).toMatchObject({
      memberId: member.id,
      created: false,
      linked: true,
    });

    const other = uniquePhone();
    const res = await enrolAt(jade, { customerId, phone: other });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ errors: [{ field: 'phone' }] });
    expect((await findMemberById(hub.services.db, member.id))?.phone).toBe(member.phone);
  });
});

describe("a partner looking a member up respects the member's sharing consent", () => {
  it('finds a member who allows partner sharing, by phone and by id', async () => {
    const member = await enrolMember(hub.services, {
      phone: uniquePhone(),
      consents: { partnerSharing: true },
    });
    const byPhone = await findAt(jade, `phone=${encodeURIComponent(member.phone ?? '')}`);
    expect(byPhone.status).toBe(200);
    expect(await byPhone.json()).toMatchObject({
      memberId: member.id,
      tier: 'ordinary',
      status: 'active',
      customerId: null,
      paid: { paid: false, status: 'none' },
      points: { available: 0, held: 0 },
      segments: [],
    });
    expect((await findAt(jade, `memberId=${member.id}`)).status).toBe(200);
  });

  it('does not find one who does not, exactly as an unknown phone, unless linked to the partner', async () => {
    const phone = uniquePhone();
    const { member } = await enrolAtPartner(hub.services, {
      partnerId: books.partner.id,
      partnerCustomerId: uniqueCode('b'),
      phone,
    });
    expect(member.consents.partnerSharing).toBe(false);
    const unknown = await notFoundBody(
      await findAt(jade, `phone=${encodeURIComponent(uniquePhone())}`),
    );
    expect(await notFoundBody(await findAt(jade, `phone=${encodeURIComponent(phone)}`))).toEqual(
      unknown,
    );
    expect(await notFoundBody(await findAt(jade, `memberId=${member.id}`))).toEqual(unknown);

    // The partner the member joined finds them.
    const atBooks = await findAt(books, `phone=${encodeURIComponent(phone)}`);
    expect(atBooks.status).toBe(200);
    expect(await atBooks.json()).toMatchObject({ memberId: member.id });
  });

  it('stops finding a member who withdraws consent', async () => {
    const member = await enrolMember(hub.services, {
      phone: uniquePhone(),
      consents: { partnerSharing: true },
    });
    const query = `phone=${encodeURIComponent(member.phone ?? '')}`;
    expect((await findAt(jade, query)).status).toBe(200);
    await updateProfile(hub.services, member.id, { consents: { partnerSharing: false } });
    expect((await findAt(jade, query)).status).toBe(404);
  });
});
