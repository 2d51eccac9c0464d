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
    await page.getByRole('button', { name: 'Save' }).first().click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('Saved.');
    await expect.poll(() => points.textContent()).toBe('300');
    await page.getByLabel('Purchase amount (CNY)').fill('250.50');
    await expect.poll(() => points.textContent()).toBe('751');

    await page.getByRole('link', { name: 'Audit log' }).click();
    expect(await page.getByRole('cell', { name: 'rule.earn' }).count()).toBe(1);
    await bh.shot(page, 'admin-audit');
    const others: Array<[string, string]> = [
      ['Alliance settings', 'admin-settings'],
      ['Segments', 'admin-segments'],
    ];
    for (const [link, name] of others) {
      await page.getByRole('link', { name: link }).click();
      await bh.shot(page, name);
    }
  });

  it('shows a bad rate or share beside its field, and changes nothing', async () => {
    const page = await bh.newPage({ wide: true });
    await signInStaff(page, await staffToken(bh.hub, 'admin'));
    await page.getByRole('link', { name: 'Lotus Fresh' }).click();
    const partnerUrl = page.url();
    await page.getByLabel('Points per fen').fill('lots');
    await page.getByRole('button', { name: 'Save' }).first().click();
    const rate = page.getByLabel('Points per fen');
    await expect.poll(() => rate.getAttribute('aria-invalid')).toBe('true');
    const reason = page.locator(`#${await rate.getAttribute('aria-describedby')}`);
    expect(await reason.textContent()).not.toBe('');
    expect(await rate.inputValue()).toBe('lots');

    const share = page.getByLabel('Largest share of an order points may pay');
    await share.fill('1.5');
    await page.getByRole('button', { name: 'Save' }).last().click();
    await expect.poll(() => share.getAttribute('aria-invalid')).toBe('true');
    expect(
      await page.locator(`#${await share.getAttribute('aria-describedby')}`).textContent(),
    ).toBe('at most 1');
    await page.goto(partnerUrl);
    expect(await page.getByLabel('Points per fen').inputValue()).toBe('0.01');
    expect(await page.getByLabel('Largest share of an order points may pay').inputValue()).toBe(
      '0.5',
    );
  });

  it('lowers a tier’s threshold, is told beside the field when the ladder refuses, and the audit log shows the change', async () => {
    const page = await bh.newPage({ wide: true });
    await signInStaff(page, await staffToken(bh.hub, 'admin'));
    await page.getByRole('link', { name: 'Tiers and plans' }).click();
    const twoStar = page.getByRole('form', { name: '2-star' });
    const threshold = twoStar.getByLabel('Qualifying spend to reach it (CNY)');
    expect(await threshold.inputValue()).toBe('2000.00');

    // Below 1-star's 500.00: the ladder must rise, so nothing is saved and the reason is
    // shown at the field, with what was typed kept.
    await threshold.fill('400');
    await twoStar.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() => twoStar.getByTestId('field-error').textContent())
      .toBe('Tier star2 must need more than star1.');
    expect(await threshold.inputValue()).toBe('400');
    expect(await threshold.getAttribute('aria-invalid')).toBe('true');
    await bh.shot(page, 'admin-tiers-refused');

    await threshold.fill('1500.00');
    await twoStar.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => twoStar.getByRole('status').textContent()).toBe('Saved.');
    expect(await threshold.inputValue()).toBe('1500.00');
    await bh.shot(page, 'admin-tiers');

    await page.getByRole('link', { name: 'Audit log' }).click();
    const line = page.getByRole('row', { name: /settings\.tier/ }).first();
    expect(await line.getByRole('cell').nth(3).textContent()).toBe('star2');
    expect(await line.getByTestId('audit-change').allTextContents()).toEqual([
      'thresholdGrowth: 200000 → 150000',
    ]);
    expect(await line.getByRole('cell').nth(1).textContent()).toMatch(/^admin-/);
  });
});
