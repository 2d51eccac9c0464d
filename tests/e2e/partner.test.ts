import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPartnerUser } from '../../partners/index.ts';
import { type BrowserHub, startBrowserHub } from './support/browser-hub.ts';

let bh: BrowserHub;
beforeAll(async () => {
  bh = await startBrowserHub();
});
afterAll(async () => {
  await bh?.close();
});

async function portalUser(code: string, username: string, password: string): Promise<void> {
  const partner = await bh.hub.services.db
    .selectFrom('partners')
    .select('id')
    .where('code', '=', code)
    .executeTakeFirstOrThrow();
  await createPartnerUser(bh.hub.services.db, { partnerId: partner.id, username, password });
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
});
