import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  computeSegments,
  latestSegmentRun,
  memberSegments,
  readSegment,
} from '../../members/index.ts';
import { manualClock } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { createMember, createPartner, recordPurchase } from '../support/members.ts';

const start = new Date('2026-01-01T00:00:00Z');
const clock = manualClock(start);
const dayMs = 86_400_000;
let hub: TestHub;
let partner: string;
beforeAll(async () => {
  hub = await createTestHub({ clock });
  partner = await createPartner(hub.services.db);
});
afterAll(async () => {
  await hub.close();
});

async function buy(memberId: string, amount: number, at: Date) {
  clock.set(at);
  await recordPurchase(hub.services, memberId, partner, amount, at);
}

describe('segments', () => {
  it('sorts members into new, active and dormant, and picks the top 10% spenders', async () => {
    const old = [];
    for (let i = 0; i < 20; i++) old.push(await createMember(hub.services));
    for (let i = 0; i < 10; i++) {
      await buy(old[i]?.id ?? '', (i + 1) * 1000, new Date(start.getTime() + 150 * dayMs));
    }
    const bigSpender = old[10]?.id ?? '';
    await buy(bigSpender, 500000, new Date(start.getTime() + 10 * dayMs));
    clock.set(new Date(start.getTime() + 200 * dayMs));
    const newcomer = await createMember(hub.services);

    const run = await computeSegments(hub.services);
    // 21 open memberships: the top 10% is 3 members.
    expect(run.counts).toEqual({ new: 1, active: 10, dormant: 10, super_user: 3 });
    expect(await memberSegments(hub.services.db, newcomer.id)).toEqual(['new']);
    expect(await memberSegments(hub.services.db, bigSpender)).toEqual(['dormant', 'super_user']);
    expect(await memberSegments(hub.services.db, old[9]?.id ?? '')).toEqual([
      'active',
      'super_user',
    ]);
    expect(await memberSegments(hub.services.db, old[0]?.id ?? '')).toEqual(['active']);

    const supers = await readSegment(hub.services.db, 'super_user');
    expect(supers.map((s) => s.spend12mMinor).sort((a, b) => b - a)).toEqual([500000, 10000, 9000]);
    expect((await latestSegmentRun(hub.services.db))?.runId).toBe(run.runId);

    // A year later the big spend has left the 12-month window; a new run replaces the old.
    clock.set(new Date(start.getTime() + 380 * dayMs));
    const later = await computeSegments(hub.services);
    expect(later.counts.super_user).toBe(3);
    expect(await memberSegments(hub.services.db, bigSpender)).toEqual(['dormant']);
    expect((await readSegment(hub.services.db, 'active')).length).toBe(0);
  });
});

describe('membership jobs', () => {
  it('run through their job definitions with the hub’s clock, and again harmlessly', async () => {
    const { memberJobDefinitions } = await import('../../members/index.ts');
    const jobs = memberJobDefinitions(null);
    expect(jobs.map((j) => j.queue)).toEqual([
      'members-tier-review',
      'members-paid-expiry',
      'members-segments',
      'members-pay-code-uses-cleanup',
      'members-stale-payments',
    ]);
    for (const job of jobs) {
      expect(job.schedule).toBeDefined();
      await job.process(hub.services, {} as Parameters<typeof job.process>[1]);
      await job.process(hub.services, {} as Parameters<typeof job.process>[1]);
    }
  });
});
