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
