import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSigningKey, idempotencyKey, signedFetch } from '../support/partners.ts';
import { type BrowserHub, signInMember, startBrowserHub } from './support/browser-hub.ts';

let bh: BrowserHub;
beforeAll(async () => {
  bh = await startBrowserHub();
});
afterAll(async () => {
  await bh?.close();
});

const liWei = '+8613800000001';

describe('a member in the browser', () => {
  it('signs in, sees points and several brands’ benefits, pays with the code, sees the new balance', async () => {
    const page = await bh.newPage();
    await signInMember(bh, page, liWei);
    await expect
      .poll(() => page.getByRole('heading', { level: 1 }).textContent())
      .toContain('Li Wei');
    const available = Number(
      (await page.getByTestId('points-available').textContent())?.replace(/\D/g, ''),
    );
    expect(available).toBeGreaterThan(100);
    const brands = await page.locator('.brand-benefits h3').allTextContents();
    expect(brands.length).toBeGreaterThanOrEqual(2);
    await bh.shot(page, 'member-home');

    await page.getByRole('link', { name: 'Pay code' }).first().click();
    const digits = (await page.getByTestId('pay-digits').textContent())?.replace(/\s/g, '') ?? '';
    expect(digits).toMatch(/^\d{18}$/);
    expect(await page.locator('#pay-qr svg').count()).toBe(1);
    await bh.shot(page, 'member-pay-code');

    const cinema = await bh.hub.services.db
      .selectFrom('partners')
      .select('id')
      .where('code', '=', 'harbor-cinema')
      .executeTakeFirstOrThrow();
    const key = await addSigningKey(bh.hub, cinema.id, 'e2e');
    const redeemed = await signedFetch(bh.hub, bh.app, key, {
      method: 'POST',
      path: '/v1/partner/redemptions',
      idempotencyKey: idempotencyKey(),
      body: {
        payCode: digits,
        storeCode: 'GZ-100',
        orderId: 'e2e-order-1',
        orderAmountMinor: 10_000,
        points: 100,
      },
    });
    expect(redeemed.status).toBe(200);

    const expected = new Intl.NumberFormat('en-GB').format(available - 100);
    await expect
      .poll(() => page.getByTestId('pay-status').textContent(), { timeout: 15_000 })
      .toContain(expected);
    await bh.shot(page, 'member-pay-code-used');
    await page.getByRole('link', { name: 'Home' }).click();
    expect(await page.getByTestId('points-available').textContent()).toBe(expected);
  });

  it('takes the free trial of the paid membership', async () => {
    const page = await bh.newPage();
    await signInMember(bh, page, '+8613800000004');
    await page.getByRole('link', { name: 'Paid membership' }).first().click();
    expect(await page.getByTestId('paid-status').textContent()).toBe('Not a member');
    expect(await page.getByTestId('offer').first().textContent()).toMatch(/CN¥\d/);
    await bh.shot(page, 'member-membership');
    await page.getByRole('button', { name: 'Start the free trial' }).click();
    await expect.poll(() => page.getByTestId('paid-status').textContent()).toMatch(/^On trial/);
    expect(await page.getByRole('button', { name: 'Start the free trial' }).count()).toBe(0);
    await bh.shot(page, 'member-membership-trial');
  });

  it('shows the pages in Chinese when the browser asks for it, amounts in yuan', async () => {
    const page = await bh.newPage({ locale: 'zh-CN' });
    await signInMember(bh, page, '+8613800000003');
    expect(await page.getByRole('heading', { level: 2 }).first().textContent()).toBe('积分');
    await expect
      .poll(() => page.getByTestId('tier-next').textContent())
      .toMatch(/^再消费 ¥[\d,]+\.\d{2} 即可升级为/);
    await bh.shot(page, 'member-home-zh');
  });
});
