import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeMembership,
  outboxSender,
  readOutbox,
  requestSignInCode,
  type SignInMessage,
  signInAttemptsMax,
  signInFailuresPerAddressMax,
  signInRequestsPerAddressMax,
  signInRequestsPerHourMax,
  verifyMemberSession,
  verifySignInCode,
} from '../../members/index.ts';
import { manualClock } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { createMember, uniquePhone } from '../support/members.ts';

const clock = manualClock(new Date('2026-05-01T08:00:00Z'));
/** Who asks, for the limits per client address; each test that counts them uses its own. */
const caller = { clientAddress: '192.0.2.1' };
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
    const sent = await requestSignInCode(hub.services, box.sender, { phone: member.phone }, caller);
    expect(sent.sentTo).toMatch(/^\+861\*{4}\d{4}$/);
    expect(box.last()).toMatchObject({ channel: 'sms', memberId: member.id });
    expect(box.last().code).toMatch(/^[0-9]{6}$/);

    const session = await verifySignInCode(
      hub.services,
      { phone: member.phone, code: box.last().code },
      caller,
    );
    expect(session).toMatchObject({ memberId: member.id, enrolled: false });
    expect(await verifyMemberSession(hub.services, session.token)).toBe(member.id);

    await expect(
      verifySignInCode(hub.services, { phone: member.phone, code: box.last().code }, caller),
    ).rejects.toMatchObject({ type: 'unauthenticated', extra: { reason: 'code_used' } });
  });

  it('refuses a wrong code and says how many tries are left', async () => {
    const member = await createMember(hub.services);
    const box = inbox();
    await requestSignInCode(hub.services, box.sender, { phone: member.phone }, caller);
    await expect(
      verifySignInCode(hub.services, { phone: member.phone, code: wrong(box.last().code) }, caller),
    ).rejects.toMatchObject({
      type: 'unauthenticated',
      extra: { reason: 'code_wrong', attemptsLeft: signInAttemptsMax - 1 },
    });
    // The right code still works after one wrong try.
    const session = await verifySignInCode(
      hub.services,
      { phone: member.phone, code: box.last().code },
      caller,
    );
    expect(session.memberId).toBe(member.id);
  });

  it('kills the code after too many wrong tries, even for the right code then', async () => {
    const member = await createMember(hub.services);
    const box = inbox();
    await requestSignInCode(hub.services, box.sender, { phone: member.phone }, caller);
    const bad = wrong(box.last().code);
    for (let i = 1; i < signInAttemptsMax; i++) {
      await expect(
        verifySignInCode(hub.services, { phone: member.phone, code: bad }, caller),
      ).rejects.toMatchObject({ extra: { reason: 'code_wrong' } });
    }
    await expect(
      verifySignInCode(hub.services, { phone: member.phone, code: bad }, caller),
    ).rejects.toMatchObject({ extra: { reason: 'too_many_attempts' } });
    await expect(
      verifySignInCode(hub.services, { phone: member.phone, code: box.last().code }, caller),
    ).rejects.toMatchObject({ type: 'unauthenticated' });
  });

  it('refuses a code after five minutes', async () => {
    const member = await createMember(hub.services);
    const box = inbox();
    await requestSignInCode(hub.services, box.sender, { phone: member.phone }, caller);
    clock.advanceMs(5 * 60_000);
    await expect(
      verifySignInCode(hub.services, { phone: member.phone, code: box.last().code }, caller),
    ).rejects.toMatchObject({ extra: { reason: 'code_expired' } });
  });

  it('limits how many codes one contact may ask for; a refused request leaves the code alive', async () => {
    const member = await createMember(hub.services);
    const box = inbox();
    for (let i = 0; i < signInRequestsPerHourMax; i++) {
      await requestSignInCode(hub.services, box.sender, { phone: member.phone }, caller);
    }
    const current = box.last().code;
    await expect(
      requestSignInCode(hub.services, box.sender, { phone: member.phone }, caller),
    ).rejects.toMatchObject({ type: 'rate_limited', retryAfterSeconds: 12 * 60 });
    expect(box.last().code).toBe(current);
    const session = await verifySignInCode(
      hub.services,
      { phone: member.phone, code: current },
      caller,
    );
    expect(session.memberId).toBe(member.id);
  });

  it('limits how many codes one address may ask for, whatever the contacts', async () => {
    const box = inbox();
    const busy = { clientAddress: '198.51.100.1' };
    for (let i = 0; i < signInRequestsPerAddressMax; i++) {
      await requestSignInCode(hub.services, box.sender, { phone: uniquePhone() }, busy);
    }
    const member = await createMember(hub.services);
    await expect(
      requestSignInCode(hub.services, box.sender, { phone: member.phone }, busy),
    ).rejects.toMatchObject({ type: 'rate_limited' });
    // The refusal did not count against the contact, nor stop another address.
    for (let i = 0; i < signInRequestsPerHourMax; i++) {
      await requestSignInCode(hub.services, box.sender, { phone: member.phone }, caller);
    }
  });

  it('does not count a code that could not be sent', async () => {
    const member = await createMember(hub.services);
    const failing = {
      send: async () => {
        throw new Error('SMS gateway down');
      },
    };
    const from = { clientAddress: '198.51.100.2' };
    for (let i = 0; i < signInRequestsPerHourMax + 1; i++) {
      await expect(
        requestSignInCode(hub.services, failing, { phone: member.phone }, from),
      ).rejects.toThrow('SMS gateway down');
    }
    const box = inbox();
    await requestSignInCode(hub.services, box.sender, { phone: member.phone }, from);
    expect(box.last().to).toBe(member.phone);
  });

  it('limits wrong codes per address; a refused attempt leaves the code and its tries alone', async () => {
    const guesser = { clientAddress: '198.51.100.3' };
    const guesses = Array.from({ length: signInFailuresPerAddressMax + 10 }, () =>
      verifySignInCode(hub.services, { phone: uniquePhone(), code: '123456' }, guesser),
    );
    const types = (await Promise.allSettled(guesses)).map((o) =>
      o.status === 'rejected' ? o.reason.type : 'signed in',
    );
    expect(types.filter((t) => t === 'unauthenticated')).toHaveLength(signInFailuresPerAddressMax);
    expect(types.filter((t) => t === 'rate_limited')).toHaveLength(10);

    const member = await createMember(hub.services);
    const box = inbox();
    await requestSignInCode(hub.services, box.sender, { phone: member.phone }, caller);
    const code = box.last().code;
    await expect(
      verifySignInCode(hub.services, { phone: member.phone, code: wrong(code) }, caller),
    ).rejects.toMatchObject({ extra: { attemptsLeft: signInAttemptsMax - 1 } });
    await expect(
      verifySignInCode(hub.services, { phone: member.phone, code }, guesser),
    ).rejects.toMatchObject({ type: 'rate_limited' });
    await expect(
      verifySignInCode(hub.services, { phone: member.phone, code: wrong(code) }, caller),
    ).rejects.toMatchObject({ extra: { attemptsLeft: signInAttemptsMax - 2 } });
    const session = await verifySignInCode(hub.services, { phone: member.phone, code }, caller);
    expect(session.memberId).toBe(member.id);
  });

  it('enrols a newcomer whose contact the code proves, and only when asked to', async () => {
    const phone = uniquePhone();
    const box = inbox();
    await requestSignInCode(hub.services, box.sender, { phone }, caller);
    expect(box.last().memberId).toBeNull();
    await expect(
      verifySignInCode(hub.services, { phone, code: box.last().code }, caller),
    ).rejects.toMatchObject({ type: 'not_found', extra: { reason: 'enrol_required' } });
    // The same code, sent again with enrol, joins: the refusal did not use it up.
    const joined = await verifySignInCode(
      hub.services,
      {
        phone,
        code: box.last().code,
        enrol: { displayName: 'New Person', consents: { marketing: false } },
      },
      caller,
    );
    expect(joined.enrolled).toBe(true);
  });

  it('delivers codes to the development outbox', async () => {
    const member = await createMember(hub.services);
    await requestSignInCode(
      hub.services,
      outboxSender(hub.services),
      { phone: member.phone },
      caller,
    );
    const [message] = await readOutbox(hub.services.db, { recipient: member.phone ?? '' });
    expect(message?.body).toMatch(/Your sign-in code is [0-9]{6}\. It expires in 5 minutes\./);
  });
});

describe('member sessions', () => {
  it('expire after fifteen minutes and end when the membership closes', async () => {
    const member = await createMember(hub.services);
    const box = inbox();
    await requestSignInCode(hub.services, box.sender, { phone: member.phone }, caller);
    const { token } = await verifySignInCode(
      hub.services,
      { phone: member.phone, code: box.last().code },
      caller,
    );
    clock.advanceMs(14 * 60_000);
    expect(await verifyMemberSession(hub.services, token)).toBe(member.id);
    clock.advanceMs(2 * 60_000);
    await expect(verifyMemberSession(hub.services, token)).rejects.toMatchObject({
      type: 'unauthenticated',
    });

    await requestSignInCode(hub.services, box.sender, { phone: member.phone }, caller);
    const fresh = await verifySignInCode(
      hub.services,
      { phone: member.phone, code: box.last().code },
      caller,
    );
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
