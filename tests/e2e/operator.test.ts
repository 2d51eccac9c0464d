import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staffToken } from '../support/partners.ts';
import { type BrowserHub, signInStaff, startBrowserHub } from './support/browser-hub.ts';

let bh: BrowserHub;
beforeAll(async () => {
  bh = await startBrowserHub();
});
afterAll(async () => {
  await bh?.close();
});

describe('an operator in the browser', () => {
  it('changes a partner’s earn rule and the preview of a purchase follows', async () => {
    const page = await bh.newPage({ wide: true });
    await signInStaff(page, await staffToken(bh.hub, 'admin'));
    await page.waitForURL('**/admin');
    await bh.shot(page, 'admin-partners');
    await page.getByRole('link', { name: 'Jade Tea' }).click();

    // 100.00 CNY at the default rate of 0.01 point per fen.
    const points = page.getByTestId('preview-points');
    await expect.poll(() => points.textContent()).toBe('100');
    await page.getByLabel('Purchase amount (CNY)').fill('250.50');
    await expect.poll(() => points.textContent()).toBe('250');
    await bh.shot(page, 'admin-partner');

    await page.getByLabel('Points per fen').fill('0.03');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('Saved.');
    await expect.poll(() => points.textContent()).toBe('300');
    await page.getByLabel('Purchase amount (CNY)').fill('250.50');
    await expect.poll(() => points.textContent()).toBe('751');

    await page.getByRole('link', { name: 'Audit log' }).click();
    expect(await page.getByRole('cell', { name: 'rule.earn' }).count()).toBe(1);
    await bh.shot(page, 'admin-audit');
    const others: Array<[string, string]> = [
      ['Tiers and plans', 'admin-tiers'],
      ['Segments', 'admin-segments'],
    ];
    for (const [link, name] of others) {
      await page.getByRole('link', { name: link }).click();
      await bh.shot(page, name);
    }
  });

  it('shows a bad rate as a refusal naming the field, and changes nothing', async () => {
    const page = await bh.newPage({ wide: true });
    await signInStaff(page, await staffToken(bh.hub, 'admin'));
    await page.getByRole('link', { name: 'Lotus Fresh' }).click();
    await page.getByLabel('Points per fen').fill('lots');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() => page.getByRole('alert').first().textContent())
      .toContain('pointsPerMinor');
    await page.reload();
    expect(await page.getByLabel('Points per fen').inputValue()).toBe('0.01');
  });
});
