import { readFile } from 'node:fs/promises';
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
  it('opens the demo period, drills from a net figure down to ledger postings; a colleague approves it, cannot record its payments, and the first one does', async () => {
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

    // Four eyes, shown: the one who approved is told another must record the payments, and
    // is given no form for it.
    expect(await second.getByTestId('four-eyes').textContent()).toContain(
      'another finance user records its payments',
    );
    expect(await second.getByRole('button', { name: 'Mark paid' }).count()).toBe(0);
    // And enforced: the same post made by hand, with this session's token, is refused.
    const periodId = second.url().split('/').at(-1) ?? '';
    const payee = await bh.hub.services.db
      .selectFrom('settlement_positions')
      .select('partner_id')
      .where('period_id', '=', periodId)
      .where('net_minor', '<>', 0)
      .executeTakeFirstOrThrow();
    const csrf = (await second.locator('input[name=_csrf]').first().getAttribute('value')) ?? '';
    const refused = await second.evaluate(
      async ({ id, token, partnerId }) => {
        const body = new URLSearchParams({ _csrf: token, [`ref:${partnerId}`]: 'BANK-1' });
        const r = await fetch(`/finance/periods/${id}/paid`, { method: 'POST', body });
        return { status: r.status, text: await r.text() };
      },
      { id: periodId, token: csrf, partnerId: payee.partner_id },
    );
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('You approved this period');

    // The first finance user records them, and downloads the file for the bank.
    await first.goto(second.url());
    expect(await first.getByTestId('four-eyes').count()).toBe(0);
    const download = first.waitForEvent('download');
    await first.getByTestId('payment-file').click();
    const file = await readFile((await (await download).path()) ?? '', 'utf8');
    const [header, ...lines] = file.trim().split('\n');
    expect(header).toMatch(/^line,direction,partner_id,/);
    expect(lines.map((l) => l.split(',')[1]).sort()).toEqual(['collect', 'pay']);
    for (const input of await first.getByLabel(/^Payment reference for /).all()) {
      await input.fill(`BANK-${await input.getAttribute('id')}`);
    }
    await first.getByRole('button', { name: 'Mark paid' }).click();
    await expect.poll(() => first.getByTestId('period-status').textContent()).toBe('paid');
    const approver = /^Approved by (\S+) /.exec(
      (await first.getByTestId('approved-by').textContent()) ?? '',
    );
    const payer = /^Paid by (\S+) /.exec((await first.getByTestId('paid-by').textContent()) ?? '');
    expect(payer?.[1]).toMatch(/^finance-/);
    expect(payer?.[1]).not.toBe(approver?.[1]);
    await bh.shot(first, 'finance-paid');
  });

  it('shows the hub’s revenue of a period and the points liability per issuer over time', async () => {
    const page = await bh.newPage({ wide: true });
    await signInStaff(page, await staffToken(bh.hub, 'finance'));
    await page
      .getByRole('link', { name: /^\d{4}-\d{2}-\d{2}$/ })
      .first()
      .click();
    // The demo day's hub fee: 2% of the 300 fen Jade Tea's points paid for at the cinema.
    expect(await page.getByTestId('revenue-clearing').textContent()).toBe('CN¥0.06');
    await page.getByRole('link', { name: 'Points liability' }).click();
    const issuers = await page.getByTestId('liability-row').count();
    expect(issuers).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('liability-total').textContent()).toMatch(/^CN¥[\d,]+\.\d{2}$/);
    expect(await page.getByTestId('snapshot-row').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('svg.chart polyline').count()).toBeGreaterThanOrEqual(2);
    await bh.shot(page, 'finance-liability');
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
