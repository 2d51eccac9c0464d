import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import { segmentsVisibleToPartner, updateProfile } from '../../members/index.ts';
import { listAudit, manualClock } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { createMember, createPartner, recordPurchase } from '../support/members.ts';
import { staffClient, staffToken, type TestApp } from '../support/partners.ts';

// Segments are there when the operator needs them: computed on request (and daily, and when
// the demo is seeded), asked twice computed once, and shown to partners only for members who
// share with partners.

const start = new Date('2026-03-01T04:00:00Z');
const dayMs = 86_400_000;
const clock = manualClock(start);
let hub: TestHub;
let app: TestApp;
let call: ReturnType<typeof staffClient>;
let partner: string;

beforeAll(async () => {
  hub = await createTestHub({ clock });
  app = createApp(hub.services);
  call = staffClient(app, await staffToken(hub, 'admin'));
  partner = await createPartner(hub.services.db);
});
afterAll(async () => {
  await hub.close();
});

type Run = { runId: string; computedAt: string; counts: Record<string, number>; reused: boolean };

async function runNow(): Promise<{ status: number; run: Run }> {
  const res = await call('POST', '/v1/admin/segments/runs');
  return { status: res.status, run: (await res.json()) as Run };
}

describe('an operator asking for segments', () => {
  it('gets a run at once on a fresh hub, the same run when asking again, a new one later', async () => {
    expect(await (await call('GET', '/v1/admin/segments')).json()).toEqual({ latestRun: null });
    const active = await createMember(hub.services);
    await recordPurchase(hub.services, active.id, partner, 10_000);
    await createMember(hub.services);
    clock.set(new Date(start.getTime() + 60 * dayMs));
    const newcomer = await createMember(hub.services);

    const first = await runNow();
    expect(first.status).toBe(200);
    expect(first.run).toMatchObject({
      computedAt: clock.now().toISOString(),
      counts: { new: 1, active: 1, dormant: 1, super_user: 1 },
      reused: false,
    });
    const latest = (await (await call('GET', '/v1/admin/segments')).json()) as {
      latestRun: { runId: string };
    };
    expect(latest.latestRun.runId).toBe(first.run.runId);
    expect(
      (await (await call('GET', '/v1/admin/segments/new')).json()) as { members: unknown[] },
    ).toMatchObject({ members: [{ memberId: newcomer.id }] });

    // A double click, or two operators at once: one run.
    clock.advanceMs(10_000);
    const [again, meanwhile] = await Promise.all([runNow(), runNow()]);
    expect([again.run.runId, meanwhile.run.runId]).toEqual([first.run.runId, first.run.runId]);
    expect([again.run.reused, meanwhile.run.reused]).toEqual([true, true]);

    clock.advanceMs(60_000);
    const later = await runNow();
    expect(later.run.reused).toBe(false);
    expect(later.run.runId).not.toBe(first.run.runId);
  });

  it('is written to the audit log with who asked and the counts before and after', async () => {
    clock.advanceMs(5 * 60_000);
    const { run } = await runNow();
    const lines = await listAudit(hub.services.db, { actionPrefix: 'segments.', limit: 100 });
    const line = lines.find((l) => l.subject === run.runId);
    expect(line).toMatchObject({
      actor_kind: 'staff',
      action: 'segments.compute',
      after: { runId: run.runId, counts: run.counts },
    });
    expect(line?.before).toMatchObject({ counts: expect.any(Object) });
  });
});

describe('a member’s segments, for partners', () => {
  it('are told only when the member shares with partners', async () => {
    const member = await createMember(hub.services);
    await recordPurchase(hub.services, member.id, partner, 50_000);
    clock.advanceMs(5 * 60_000);
    expect((await runNow()).status).toBe(200);
    expect(await segmentsVisibleToPartner(hub.services.db, member.id)).toBeNull();
    await updateProfile(hub.services, member.id, { consents: { partnerSharing: true } });
    expect(await segmentsVisibleToPartner(hub.services.db, member.id)).toEqual([
      'new',
      'super_user',
    ]);
    await updateProfile(hub.services, member.id, { consents: { partnerSharing: false } });
    expect(await segmentsVisibleToPartner(hub.services.db, member.id)).toBeNull();
  });
});
