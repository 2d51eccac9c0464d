import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit, recordAudit } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';

let hub: TestHub;

beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(async () => {
  await hub.close();
});

describe('the audit log', () => {
  it('keeps who, when, what, before and after, in the order written', async () => {
    const at = new Date('2026-06-01T08:00:00Z');
    const actor = { kind: 'staff' as const, id: 'staff-1' };
    await recordAudit(hub.services.db, {
      actor,
      action: 'settings.tiers',
      subject: 'alliance',
      before: { thresholds: [500] },
      after: { thresholds: [600] },
      at,
    });
    await recordAudit(hub.services.db, { actor, action: 'partner.update', subject: 'p-1', at });
    const all = await listAudit(hub.services.db, { limit: 10 });
    expect(all.map((line) => line.action)).toEqual(['settings.tiers', 'partner.update']);
    expect(all[0]).toMatchObject({
      actor_kind: 'staff',
      actor_id: 'staff-1',
      subject: 'alliance',
      before: { thresholds: [500] },
      after: { thresholds: [600] },
      at,
    });
    const settings = await listAudit(hub.services.db, { limit: 10, actionPrefix: 'settings.' });
    expect(settings).toHaveLength(1);
    const next = await listAudit(hub.services.db, { limit: 10, after: all[0]?.id });
    expect(next.map((line) => line.subject)).toEqual(['p-1']);
  });

  it('cannot be edited or deleted, even by the code that writes it', async () => {
    await expect(
      hub.services.db.updateTable('audit_log').set({ actor_id: 'someone-else' }).execute(),
    ).rejects.toThrow(/append-only/);
    await expect(hub.services.db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
    expect((await listAudit(hub.services.db, { limit: 10 })).length).toBeGreaterThan(0);
  });
});
