import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import { findPaidPlan, loadMembershipSettings } from '../../members/index.ts';
import { getPartnerRules } from '../../partners/index.ts';
import { listAudit } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { createPartner } from '../support/members.ts';
import { type PageClient, pageClient } from '../support/pages.ts';
import { staffToken, type TestApp } from '../support/partners.ts';

let hub: TestHub;
let app: TestApp;
let operator: PageClient;
beforeAll(async () => {
  hub = await createTestHub();
  app = createApp(hub.services);
  operator = pageClient(app);
  await operator.get('/staff/sign-in');
  const signedIn = await operator.post('/staff/sign-in', {
    token: await staffToken(hub, 'admin'),
  });
  expect(signedIn.location).toBe('/admin');
});
afterAll(async () => {
  await hub.close();
});

/** The settings form as the page fills it: every value in force. */
async function settingsForm(): Promise<Record<string, string>> {
  const page = await operator.get('/admin/settings');
  expect(page.status).toBe(200);
  return Object.fromEntries(
    [...page.html.matchAll(/<input id="[^"]+" name="([^"]+)" value="([^"]*)"/g)].map((m) => [
      m[1] ?? '',
      m[2] ?? '',
    ]),
  );
}

/** The reason shown beside an input (of the form marked `within`), if any. */
function errorBeside(html: string, name: string, within = ''): string | undefined {
  const at = html.indexOf(`name="${name}"`, html.indexOf(within));
  if (at < 0) return undefined;
  const after = html.slice(at, at + 800);
  const next = after.indexOf('<label');
  const own = next < 0 ? after : after.slice(0, next);
  return /class="field-error"[^>]*>([^<]*)</.exec(own)?.[1];
}

describe('alliance settings on the operator’s page', () => {
  it('saves only what the operator changed, audited with the operator and the values before and after', async () => {
    const form = await settingsForm();
    expect(form['membership.trialDays']).toBe('30');
    const saved = await operator.post('/admin/settings', { ...form, 'membership.trialDays': '14' });
    expect(saved.location).toBe('/admin/settings?saved=1');
    expect((await loadMembershipSettings(hub.services.db)).trialDays).toBe(14);
    const audit = await listAudit(hub.services.db, { limit: 10, actionPrefix: 'settings.' });
    expect(audit.map((a) => a.action)).toEqual(['settings.membership']);
    expect(audit[0]?.actor_kind).toBe('staff');
    expect(audit[0]?.before).toMatchObject({ trialDays: 30 });
    expect(audit[0]?.after).toMatchObject({ trialDays: 14 });

    const again = await operator.post('/admin/settings', await settingsForm());
    expect(again.location).toBe('/admin/settings?saved=0');
    expect(await listAudit(hub.services.db, { limit: 10, actionPrefix: 'settings.' })).toHaveLength(
      1,
    );
  });

  it('refuses a value out of bounds beside its field, keeps what was typed, and changes nothing', async () => {
    const form = await settingsForm();
    const answer = await operator.post('/admin/settings', {
      ...form,
      'membership.renewalReminderDays': '0',
      'points.holdTtlSeconds': 'soon',
      'membership.activityGrowth.review.dailyCap': '3',
    });
    expect(answer.status).toBe(400);
    expect(errorBeside(answer.html, 'membership.renewalReminderDays')).toBe(
      'Too small: expected number to be &gt;=1',
    );
    expect(errorBeside(answer.html, 'points.holdTtlSeconds')).toMatch(/number/i);
    expect(errorBeside(answer.html, 'membership.activityGrowth.review.dailyCap')).toBeUndefined();
    expect(answer.html).toContain('name="points.holdTtlSeconds" value="soon"');
    expect(await settingsForm()).toEqual(form);
  });
});

describe('paid plans on the operator’s page', () => {
  it('creates a plan with fees typed in yuan, read exactly as fen, and audits it', async () => {
    const created = await operator.post('/admin/plans', {
      code: 'gold',
      termMonths: '6',
      name: 'Gold',
      description: '',
      feeMinor: '199.00',
      'tierFeesMinor.star2': '99.5',
      'tierFeesMinor.star3': '',
    });
    expect(created.location).toBe('/admin/tiers?saved=plan-new');
    const plan = await findPaidPlan(hub.services.db, 'gold');
    expect(plan).toMatchObject({
      feeMinor: 19_900,
      termMonths: 6,
      tierFeesMinor: { star2: 9_950 },
    });
    const audit = await listAudit(hub.services.db, { limit: 10, subject: 'gold' });
    expect(audit.map((a) => [a.action, a.actor_kind])).toEqual([['plan.create', 'staff']]);
  });

  it('refuses a fee that is not an amount beside its field, and creates nothing', async () => {
    const answer = await operator.post('/admin/plans', {
      code: 'silver',
      termMonths: '12',
      name: 'Silver',
      feeMinor: '12.345',
      'tierFeesMinor.star2': 'free',
    });
    expect(answer.status).toBe(400);
    expect(errorBeside(answer.html, 'feeMinor', 'plan-new')).toBe('an amount such as 88.00');
    expect(errorBeside(answer.html, 'tierFeesMinor.star2', 'plan-new')).toBe(
      'an amount such as 88.00',
    );
    expect(await findPaidPlan(hub.services.db, 'silver')).toBeUndefined();
  });

  it('retires a plan and changes its fees, and says so in the plan’s own form', async () => {
    const page = await operator.get('/admin/tiers');
    expect(page.html).toContain('action="/admin/plans/gold"');
    const saved = await operator.post('/admin/plans/gold', {
      name: 'Gold',
      description: 'Six months of gold',
      feeMinor: '249.00',
      'tierFeesMinor.star2': '',
      status: 'retired',
    });
    expect(saved.location).toBe('/admin/tiers?saved=plan-gold');
    expect(await findPaidPlan(hub.services.db, 'gold')).toMatchObject({
      status: 'retired',
      feeMinor: 24_900,
      tierFeesMinor: {},
      description: 'Six months of gold',
    });
    const shown = await operator.get('/admin/tiers?saved=plan-gold');
    expect(shown.html).toMatch(/data-testid="plan-gold">[\s\S]*?role="status">Saved\./);
  });

  it('refuses a tier change that breaks the ladder beside the threshold, changing nothing', async () => {
    const answer = await operator.post('/admin/tiers/star1', {
      name: '1-star',
      thresholdGrowth: '0',
      discountBp: '95.00',
      earnMultiplier: '1.2',
    });
    expect(answer.status).toBe(400);
    expect(errorBeside(answer.html, 'thresholdGrowth', 'data-testid="tier-star1"')).toBe(
      'Tier star1 must need more than ordinary.',
    );
    expect(await listAudit(hub.services.db, { limit: 10, actionPrefix: 'settings.tier' })).toEqual(
      [],
    );
  });
});

describe('a partner’s burn rule on the operator’s page', () => {
  it('saves the share points may pay, through the admin API’s use case, audited', async () => {
    const partnerId = await createPartner(hub.services.db);
    const saved = await operator.post(`/admin/partners/${partnerId}/burn`, { maxShare: '0.3' });
    expect(saved.location).toBe(`/admin/partners/${partnerId}?saved=burn`);
    expect((await getPartnerRules(hub.services.db, partnerId)).burn.maxShare).toBe('0.3');
    const audit = await listAudit(hub.services.db, { limit: 10, subject: partnerId });
    expect(audit.map((a) => [a.action, a.actor_kind])).toEqual([['rule.burn', 'staff']]);
    const page = await operator.get(saved.location ?? '');
    expect(page.html).toMatch(
      /role="status">Saved\.<\/p>\s*<form method="post" action="[^"]+\/burn"/,
    );
  });
});
