import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  attemptDelivery,
  createPartnerUser,
  fanOutEvents,
  listWebhookDeliveries,
} from '../../partners/index.ts';
import { startReceiver } from '../support/webhook-receiver.ts';
import { type BrowserHub, startBrowserHub } from './support/browser-hub.ts';

let bh: BrowserHub;
beforeAll(async () => {
  bh = await startBrowserHub();
});
afterAll(async () => {
  await bh?.close();
});

async function portalUser(code: string, username: string, password: string): Promise<string> {
  const partner = await bh.hub.services.db
    .selectFrom('partners')
    .select('id')
    .where('code', '=', code)
    .executeTakeFirstOrThrow();
  await createPartnerUser(bh.hub.services.db, { partnerId: partner.id, username, password });
  return partner.id;
}

async function signInPortal(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/portal/sign-in');
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/portal');
}

/** What the webhook workers do, run here once: fan events out, make each due attempt. */
async function runWebhookWorkers(partnerId: string): Promise<void> {
  const { services } = bh.hub;
  await fanOutEvents(services.db, services.config, services.clock.now());
  const due = await listWebhookDeliveries(services.db, { partnerId, status: 'pending', limit: 50 });
  for (const d of due) await attemptDelivery(services, { deliveryId: d.id, attempts: d.attempts });
}

describe('a partner in the browser', () => {
  it('signs in to the portal and downloads its own statement, and no other partner’s', async () => {
    await portalUser('jade-tea', 'jade-clerk', 'a-long-enough-password');
    const page = await bh.newPage({ wide: true });
    await page.goto('/portal');
    await page.waitForURL('**/portal/sign-in');
    await page.getByLabel('User name').fill('jade-clerk');
    await page.getByLabel('Password').fill('a-long-enough-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/portal');
    await expect
      .poll(() => page.getByRole('heading', { level: 1 }).textContent())
      .toBe('Jade Tea: Statements');
    await bh.shot(page, 'portal-statements');

    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download statement (CSV)' }).first().click();
    const csv = await readFile((await (await download).path()) ?? '', 'utf8');
    const [header, ...lines] = csv.trimEnd().split('\n');
    expect(header).toMatch(/^line,/);
    // Jade Tea's demo day: the points Li Wei spent at Harbor Cinema, one line.
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('redemption');

    // Its own file, with the line left out: the reconciliation says which, and of what kind.
    await page
      .getByLabel(/^CSV file/)
      .first()
      .setInputFiles({
        name: 'ours.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from('order_id,kind,points,amount_minor\n'),
      });
    await page.getByRole('button', { name: 'Upload and compare' }).first().click();
    const outcome = page.getByTestId('reconcile-outcome');
    // One row per kind of line, each reconciled on its own.
    expect(await outcome.locator('tbody th').allTextContents()).toEqual(
      expect.arrayContaining(['accrual', 'redemption']),
    );
    // Every line the hub booked for Jade Tea that day is missing from the file, and listed.
    const missing = await outcome.locator('tbody tr td:nth-of-type(3)').allTextContents();
    const differ = missing.reduce((sum, n) => sum + Number(n), 0);
    expect(differ).toBeGreaterThan(0);
    expect(await outcome.locator('.notice').textContent()).toBe(
      `Matched 0 lines; ${differ} differ.`,
    );
    expect(await outcome.getByText(/^Missing in the file: /).count()).toBe(differ);
    await bh.shot(page, 'portal-reconciled');

    // The portal never takes a partner from the path: only its own statements exist for it.
    const cinema = await bh.hub.services.db
      .selectFrom('partners')
      .select('id')
      .where('code', '=', 'harbor-cinema')
      .executeTakeFirstOrThrow();
    const other = await page.evaluate(
      async (id) => (await fetch(`/portal/statements/${id}/csv`)).status,
      cinema.id,
    );
    expect(other).not.toBe(200);

    for (const [link, name] of [
      ['Keys', 'portal-keys'],
      ['Benefits', 'portal-benefits'],
    ] as const) {
      await page.getByRole('link', { name: link }).click();
      await bh.shot(page, name);
    }
  });

  it('refuses a wrong password without saying which part was wrong', async () => {
    await portalUser('lotus-fresh', 'lotus-clerk', 'the-right-password');
    const page = await bh.newPage();
    await page.goto('/portal/sign-in');
    await page.getByLabel('User name').fill('lotus-clerk');
    await page.getByLabel('Password').fill('the-wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect
      .poll(() => page.getByRole('alert').first().textContent())
      .toBe('The user name or password is wrong.');
    await page.goto('/portal');
    expect(page.url()).toMatch(/\/portal\/sign-in$/);
  });

  it('adds a webhook endpoint, sees each delivery with its attempts, and delivers one again', async () => {
    const partnerId = await portalUser('harbor-cinema', 'cinema-clerk', 'a-long-enough-password');
    const receiver = await startReceiver('/cinema');
    try {
      const page = await bh.newPage({ wide: true });
      await signInPortal(page, 'cinema-clerk', 'a-long-enough-password');
      await page.getByRole('link', { name: 'Webhooks' }).click();
      const before = await page.getByTestId('endpoint').count();

      // Refused beside the field: an address the hub will not post to.
      const url = page.getByLabel('URL', { exact: true });
      await url.fill('ftp://hooks.example/cinema');
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await expect.poll(() => url.getAttribute('aria-invalid')).toBe('true');
      expect(await page.getByTestId('field-error').textContent()).toMatch(/scheme must be/);
      expect(await page.getByTestId('endpoint').count()).toBe(before);

      await url.fill(receiver.url);
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await expect.poll(() => page.getByTestId('endpoint').count()).toBe(before + 1);

      // The demo day's settlement told Harbor Cinema it receives 300 fen.
      await runWebhookWorkers(partnerId);
      await expect.poll(() => receiver.received.length).toBeGreaterThanOrEqual(1);
      await page.reload();
      const delivered = page.getByTestId('delivery-row').filter({ hasText: receiver.url });
      await expect.poll(() => delivered.count()).toBeGreaterThanOrEqual(1);
      expect(await delivered.first().getByTestId('delivery-status').textContent()).toBe(
        'delivered',
      );
      await bh.shot(page, 'portal-webhooks');

      await delivered.first().getByRole('link').click();
      expect(await page.getByTestId('attempt-row').first().textContent()).toContain('200');
      expect(await page.getByTestId('delivery-body').textContent()).toContain(partnerId);
      await bh.shot(page, 'portal-webhook-delivery');
      await page.getByRole('button', { name: 'Deliver again' }).click();
      await expect.poll(() => page.getByTestId('delivery-status').textContent()).toBe('pending');
      const pending = await listWebhookDeliveries(bh.hub.services.db, {
        partnerId,
        status: 'pending',
        limit: 50,
      });
      expect(pending.some((d) => page.url().endsWith(d.id))).toBe(true);

      // Another partner's delivery is not a page this partner can open.
      const jade = await bh.hub.services.db
        .selectFrom('partners')
        .select('id')
        .where('code', '=', 'jade-tea')
        .executeTakeFirstOrThrow();
      const [theirs] = await listWebhookDeliveries(bh.hub.services.db, {
        partnerId: jade.id,
        limit: 1,
      });
      expect(theirs).toBeDefined();
      const status = await page.evaluate(
        async (id) => (await fetch(`/portal/webhooks/deliveries/${id}`)).status,
        theirs?.id ?? '',
      );
      expect(status).toBe(404);
    } finally {
      await receiver.close();
    }
  });
});
