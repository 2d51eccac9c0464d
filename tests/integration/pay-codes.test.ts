import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  currentPayCode,
  issuePayCode,
  payCodeQrSvg,
  readPayCode,
  usePayCode,
} from '../../members/index.ts';
import { manualClock } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { createMember } from '../support/members.ts';
import { newTestPartner } from '../support/partners.ts';

const clock = manualClock(new Date('2026-05-01T08:00:00Z'));
let hub: TestHub;
let partnerId: string;
beforeAll(async () => {
  hub = await createTestHub({ clock });
  partnerId = (await newTestPartner(hub)).partner.id;
});
afterAll(async () => {
  await hub.close();
});

/** Uses a code up for an order the way a redemption's transaction does; true if it could. */
const use = (code: string, memberId: string, orderId: string) =>
  hub.services.db
    .transaction()
    .execute((tx) => usePayCode(tx, { code, memberId, partnerId, orderId, at: clock.now() }));

describe('pay codes', () => {
  it('are 18 digits, bound to the member, and pay for one order only', async () => {
    const member = await createMember(hub.services);
    const { code, expiresAt } = await issuePayCode(hub.services, member.id);
    expect(code).toMatch(/^89[0-9]{16}$/);
    expect(expiresAt.getTime() - clock.now().getTime()).toBe(60_000);
    expect(await readPayCode(hub.services, code, 'till')).toEqual({ code, memberId: member.id });
    const uses = await Promise.all([
      use(code, member.id, 'order-1'),
      use(code, member.id, 'order-2'),
      use(code, member.id, 'order-3'),
    ]);
    expect(uses.filter(Boolean)).toHaveLength(1);
  });

  it('stay usable when the transaction that used them rolls back', async () => {
    const member = await createMember(hub.services);
    const { code } = await issuePayCode(hub.services, member.id);
    await expect(
      hub.services.db.transaction().execute(async (tx) => {
        await usePayCode(tx, {
          code,
          memberId: member.id,
          partnerId,
          orderId: 'o',
          at: clock.now(),
        });
        throw new Error('the redemption was refused');
      }),
    ).rejects.toThrow('refused');
    expect(await use(code, member.id, 'o')).toBe(true);
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
    expect(await readPayCode(hub.services, code, 'till')).toBeUndefined();
  });

  it('die when the member asks for a new one', async () => {
    const member = await createMember(hub.services);
    const first = await issuePayCode(hub.services, member.id);
    const second = await issuePayCode(hub.services, member.id);
    expect((await currentPayCode(hub.services, member.id))?.code).toBe(second.code);
    expect(await readPayCode(hub.services, first.code, 'till')).toBeUndefined();
    expect(await readPayCode(hub.services, second.code, 'till')).toEqual({
      code: second.code,
      memberId: member.id,
    });
  });

  it('count misses per caller: ten a minute, for that caller only', async () => {
    const guesses = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        readPayCode(hub.services, `89${String(i).padStart(16, '0')}`, 'guesser'),
      ),
    );
    expect(guesses.filter((g) => g.status === 'fulfilled')).toHaveLength(10);
    expect(guesses.find((g) => g.status === 'rejected')).toMatchObject({
      reason: { type: 'rate_limited' },
    });
    const member = await createMember(hub.services);
    const { code } = await issuePayCode(hub.services, member.id);
    await expect(readPayCode(hub.services, code, 'guesser')).rejects.toMatchObject({
      type: 'rate_limited',
    });
    expect(await readPayCode(hub.services, code, 'honest')).toEqual({ code, memberId: member.id });
  });

  it('render as an SVG QR code', async () => {
    const svg = await payCodeQrSvg('891234567890123456');
    expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('<path');
  });
});
