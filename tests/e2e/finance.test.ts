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

describe('finance in the browser', () => {
  it('opens the demo period, drills from a net figure down to ledger postings, and a colleague approves it', async () => {
    const first = await bh.newPage({ wide: true });
    await signInStaff(first, await staffToken(bh.hub, 'finance'));
    await first.waitForURL('**/finance');
    await bh.shot(first, 'finance-periods');
    await first
      .getByRole('link', { name: /^\d{4}-\d{2}-\d{2}$/ })
      .first()
      .click();
    expect(await first.getByTestId('period-status').textContent()).toBe('computed');
    // The demo day: Jade Tea's points were spent at Harbor Cinema, so Jade Tea pays 300 fen
    // and the hub's 2% fee on them: 306 fen.
    const row = first.getByRole('row', { name: /Jade Tea/ }).last();
    await expect.poll(() => row.getByTestId('net-link').textContent()).toBe('-CN¥3.06');
    expect(await first.locator('svg.chart rect').count()).toBeGreaterThanOrEqual(2);
    await bh.shot(first, 'finance-period');

    await row.getByTestId('net-link').click();
    expect(await first.getByTestId('statement-net').textContent()).toBe('-CN¥3.06');
    await bh.shot(first, 'finance-statement');
    await first.getByTestId('entry-link').first().click();
    const amounts = await first.getByTestId('posting-amount').allTextContents();
    expect(amounts.length).toBeGreaterThanOrEqual(2);
    expect(amounts.some((a) => a === '-300')).toBe(true);
    await bh.shot(first, 'finance-entry');

    const second = await bh.newPage({ wide: true });
    await signInStaff(second, await staffToken(bh.hub, 'finance'));
    await second.goto(first.url().replace(/\/finance\/entries\/.*/, '/finance'));
    await second
      .getByRole('link', { name: /^\d{4}-\d{2}-\d{2}$/ })
      .first()
      .click();
    await second.getByRole('button', { name: 'Approve this period' }).click();
    expect(await second.getByTestId('period-status').textContent()).toBe('approved');
    await expect
      .poll(() => second.getByTestId('approved-by').textContent())
      .toMatch(/^Approved by finance-/);
    await bh.shot(second, 'finance-approved');
  });

  it('refuses a form posted without the session’s CSRF token', async () => {
    const page = await bh.newPage();
    await signInStaff(page, await staffToken(bh.hub, 'finance'));
    const periodId = (
      await bh.hub.services.db
        .selectFrom('settlement_periods')
        .select('id')
        .executeTakeFirstOrThrow()
    ).id;
    const status = await page.evaluate(async (id) => {
      const r = await fetch(`/finance/periods/${id}/approve`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: '_csrf=forged',
      });
      return r.status;
    }, periodId);
    expect(status).toBe(403);
  });
});
