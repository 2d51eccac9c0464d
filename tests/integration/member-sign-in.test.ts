import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeMembership,
  outboxSender,
  readOutbox,
  requestSignInCode,
  type SignInMessage,
  signInAttemptsMax,
  verifyMemberSession,
  verifySignInCode,
} from '../../members/index.ts';
import { manualClock } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { createMember, uniquePhone } from '../support/members.ts';

const clock = manualClock(new Date('2026-05-01T08:00:00Z'));
let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub({ clock });
});
afterAll(async () => {
  await hub.close();
});

/** A sender that keeps what it sends, to read the code as the member would. */
function inbox() {
  const sent: SignInMessage[] = [];
  return {
    sender: { send: async (m: SignInMessage) => void sent.push(m) },
    last: () => {
      const message = sent.at(-1);
      if (!message) throw new Error('nothing sent');
      return message;
    },
  };
}

function wrong(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

describe('sign-in codes', () => {
  it('signs a member in with the code sent to their phone, once', async () => {
    const member = await createMember(hub.services);
    const box = inbox();
    const sent = await requestSignInCode(hub.services, box.sender, { phone: member.phone });
    expect(sent.sentTo).toMatch(/^\+861\*{4}\d{4}$/);
    expect(box.last()).toMatchObject({ channel: 'sms', memberId: member.id });
    expect(box.last().code).toMatch(/^[0-9]{6}$/);

    const session = await verifySignInCode(hub.services, {
      phone: member.phone,
      code: box.last().code,
    });
    expect(session).toMatchObject({ memberId: member.id, enrolled: false });
    expect(await verifyMemberSession(hub.services, session.token)).toBe(member.id);

    await expect(
      verifySignInCode(hub.services, { phone: member.phone, code: box.last().code }),
    ).rejects.toMatchObject({ type: 'unauthenticated', extra: { reason: 'code_expired' } });
  });

  it('refuses a wrong code and says how many tries are left', async () => {
    const member = await createMember(hub.services);
    const box = inbox();
    await requestSignInCode(hub.services, box.sender, { phone: member.phone });
    await expect(
      verifySignInCode(hub.services, { phone: member.phone, code: wrong(box.last().code) }),
    ).rejects.toMatchObject({
      type: 'unauthenticated',
      extra: { reason: 'code_wrong', attemptsLeft: signInAttemptsMax - 1 },
    });
    // The right code still works after one wrong try.
    const session = await verifySignInCode(hub.services, {
      phone: member.phone,
      code: box.last().code,
    });
    expect(session.memberId).toBe(member.id);
  });

  it('kills the code after too many wrong tries, even for the right code then', async () => {
    const member = await createMember(hub.services);
    const box = inbox();
    await requestSignInCode(hub.services, box.sender, { phone: member.phone });
    const bad = wrong(box.last().code);
    for (let i = 1; i < signInAttemptsMax; i++) {
      await expect(
        verifySignInCode(hub.services, { phone: member.phone, code: bad }),
      ).rejects.toMatchObject({ extra: { reason: 'code_wrong' } });
    }
    await expect(
      verifySignInCode(hub.services, { phone: member.phone, code: bad }),
    ).rejects.toMatchObject({ extra: { reason: 'too_many_attempts' } });
    await expect(
      verifySignInCode(hub.services, { phone: member.phone, code: box.last().code }),
    ).rejects.toMatchObject({ type: 'unauthenticated' });
  });

  it('refuses a code after five minutes', async () => {
    const member = await createMember(hub.services);
    const box = inbox();
    await requestSignInCode(hub.services, box.sender, { phone: member.phone });
    clock.advanceMs(5 * 60_000);
    await expect(
      verifySignInCode(hub.services, { phone: member.phone, code: box.last().code }),
    ).rejects.toMatchObject({ extra: { reason: 'code_expired' } });
  });

  it('limits how many codes one contact may ask for', async () => {
    const member = await createMember(hub.services);
    const box = inbox();
    for (let i = 0; i < 5; i++) {
      await requestSignInCode(hub.services, box.sender, { phone: member.phone });
    }
    await expect(
      requestSignInCode(hub.services, box.sender, { phone: member.phone }),
    ).rejects.toMatchObject({ type: 'rate_limited' });
  });

  it('enrols a newcomer whose contact the code proves, and only when asked to', async () => {
    const phone = uniquePhone();
    const box = inbox();
    await requestSignInCode(hub.services, box.sender, { phone });
    expect(box.last().memberId).toBeNull();
    await expect(
      verifySignInCode(hub.services, { phone, code: box.last().code }),
    ).rejects.toMatchObject({ type: 'not_found' });
    await requestSignInCode(hub.services, box.sender, { phone });
    const joined = await verifySignInCode(hub.services, {
      phone,
      code: box.last().code,
      enrol: { displayName: 'New Person', consents: { marketing: false } },
    });
    expect(joined.enrolled).toBe(true);
  });

  it('delivers codes to the development outbox', async () => {
    const member = await createMember(hub.services);
    await requestSignInCode(hub.services, outboxSender(hub.services), { phone: member.phone });
    const [message] = await readOutbox(hub.services.db, { recipient: member.phone ?? '' });
    expect(message?.body).toMatch(/Your sign-in code is [0-9]{6}\. It expires in 5 minutes\./);
  });
});

describe('member sessions', () => {
  it('expire after fifteen minutes and end when the membership closes', async () => {
    const member = await createMember(hub.services);
    const box = inbox();
    await requestSignInCode(hub.services, box.sender, { phone: member.phone });
    const { token } = await verifySignInCode(hub.services, {
      phone: member.phone,
      code: box.last().code,
    });
    clock.advanceMs(14 * 60_000);
    expect(await verifyMemberSession(hub.services, token)).toBe(member.id);
    clock.advanceMs(2 * 60_000);
    await expect(verifyMemberSession(hub.services, token)).rejects.toMatchObject({
      type: 'unauthenticated',
    });

    await requestSignInCode(hub.services, box.sender, { phone: member.phone });
    const fresh = await verifySignInCode(hub.services, {
      phone: member.phone,
      code: box.last().code,
    });
    await closeMembership(hub.services, {
      memberId: member.id,
      reason: 'test',
      forfeitPoints: async () => {},
    });
    await expect(verifyMemberSession(hub.services, fresh.token)).rejects.toMatchObject({
      type: 'unauthenticated',
    });
  });

  it('refuses a token for another audience', async () => {
    const member = await createMember(hub.services);
    const partnerToken = await hub.services.hubSigner.signJwt(
      {},
      { subject: member.id, audience: 'partner', expiresInSeconds: 600, now: clock.now() },
    );
    await expect(verifyMemberSession(hub.services, partnerToken)).rejects.toMatchObject({
      type: 'unauthenticated',
    });
  });
});
