import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumePayCode, currentPayCode, issuePayCode, payCodeQrSvg } from '../../members/index.ts';
import { manualClock } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { createMember } from '../support/members.ts';

const clock = manualClock(new Date('2026-05-01T08:00:00Z'));
let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub({ clock });
});
afterAll(async () => {
  await hub.close();
});

describe('pay codes', () => {
  it('are 18 digits, bound to the member, and usable once', async () => {
    const member = await createMember(hub.services);
    const { code, expiresAt } = await issuePayCode(hub.services, member.id);
    expect(code).toMatch(/^89[0-9]{16}$/);
    expect(expiresAt.getTime() - clock.now().getTime()).toBe(60_000);
    expect(await consumePayCode(hub.services, code, { callerId: 'p1' })).toEqual({
      memberId: member.id,
    });
    await expect(consumePayCode(hub.services, code, { callerId: 'p1' })).rejects.toMatchObject({
      type: 'pay_code_invalid',
    });
  });

  it('differ every time', async () => {
    const member = await createMember(hub.services);
    const codes = new Set<string>();
    for (let i = 0; i < 10; i++) codes.add((await issuePayCode(hub.services, member.id)).code);
    expect(codes.size).toBe(10);
  });

  it('expire after 60 seconds', async () => {
    const member = await createMember(hub.services);
    const { code } = await issuePayCode(hub.services, member.id);
    clock.advanceMs(60_000);
    await expect(consumePayCode(hub.services, code, { callerId: 'p2' })).rejects.toMatchObject({
      type: 'pay_code_invalid',
    });
  });

  it('are refused when the till knows the member and the code is another member’s', async () => {
    const alice = await createMember(hub.services);
    const bob = await createMember(hub.services);
    const { code } = await issuePayCode(hub.services, bob.id);
    await expect(
      consumePayCode(hub.services, code, { callerId: 'p3', memberId: alice.id }),
    ).rejects.toMatchObject({ type: 'pay_code_invalid' });
  });

  it('die when the member asks for a new one', async () => {
    const member = await createMember(hub.services);
    const first = await issuePayCode(hub.services, member.id);
    const second = await issuePayCode(hub.services, member.id);
    expect((await currentPayCode(hub.services, member.id))?.code).toBe(second.code);
    await expect(
      consumePayCode(hub.services, first.code, { callerId: 'p4' }),
    ).rejects.toMatchObject({ type: 'pay_code_invalid' });
    expect(await consumePayCode(hub.services, second.code, { callerId: 'p4' })).toEqual({
      memberId: member.id,
    });
  });

  it('throttle a caller that keeps presenting bad codes, and only that caller', async () => {
    const member = await createMember(hub.services);
    for (let i = 0; i < 10; i++) {
      await expect(
        consumePayCode(hub.services, `89${String(i).padStart(16, '0')}`, { callerId: 'guesser' }),
      ).rejects.toMatchObject({ type: 'pay_code_invalid' });
    }
    const { code } = await issuePayCode(hub.services, member.id);
    await expect(consumePayCode(hub.services, code, { callerId: 'guesser' })).rejects.toMatchObject(
      { type: 'rate_limited' },
    );
    expect(await consumePayCode(hub.services, code, { callerId: 'honest' })).toEqual({
      memberId: member.id,
    });
  });

  it('render as an SVG QR code', async () => {
    const svg = await payCodeQrSvg('891234567890123456');
    expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('<path');
  });
});
