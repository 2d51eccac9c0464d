import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { openDomains } from '../../../domains.ts';
import { createApp } from '../../../gateway/index.ts';
import { type RunningGateway, startGateway } from '../../../gateway/server.ts';
import { readOutbox } from '../../../members/index.ts';
import { seedDemoAlliance } from '../../../scripts/demo-alliance.ts';
import { runSettlement } from '../../../settlement/index.ts';
import { chromiumPath } from '../../support/chromium-setup.ts';
import { createTestHub, type TestHub } from '../../support/hub.ts';
import type { TestApp } from '../../support/partners.ts';

/** Screenshots of every page the tests visit: kept after the run, ignored by git. */
export const artifactsDir = fileURLToPath(new URL('../artifacts/', import.meta.url));

export type BrowserHub = {
  hub: TestHub;
  url: string;
  /** The same hub in process, for what partners and staff do through the API meanwhile. */
  app: TestApp;
  browser: Browser;
  /** A browser profile of its own (cookies included), phone-sized unless told otherwise. */
  newPage(options?: { locale?: string; wide?: boolean }): Promise<Page>;
  /** Saves a full-page screenshot as tests/e2e/artifacts/<name>.png. */
  shot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
};

/**
 * A hub on a loopback port with the demo alliance seeded and its first period settled (as
 * `npm start` leaves it), in demo mode so that sign-in codes land in the outbox, and Debian's
 * Chromium driven by playwright-core: headless, never a downloaded browser.
 */
export async function startBrowserHub(): Promise<BrowserHub> {
  const hub = await createTestHub({ env: { HUB_DEMO: '1', HOST: '127.0.0.1' } });
  const domains = await openDomains(hub.services);
  await seedDemoAlliance(hub.services, domains);
  await runSettlement(hub.services.db, hub.services.clock);
  const gateway: RunningGateway = await startGateway(hub.services, domains);
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // Root in a container has no user namespaces for Chromium's sandbox.
    chromiumSandbox: false,
  });
  const contexts: BrowserContext[] = [];
  mkdirSync(artifactsDir, { recursive: true });
  return {
    hub,
    url: gateway.url,
    app: createApp(hub.services, domains),
    browser,
    newPage: async (options = {}) => {
      const context = await browser.newContext({
        baseURL: gateway.url,
        locale: options.locale ?? 'en-GB',
        viewport: options.wide ? { width: 1280, height: 900 } : { width: 390, height: 844 },
      });
      contexts.push(context);
      return context.newPage();
    },
    shot: async (page, name) => {
      await page.screenshot({ path: `${artifactsDir}${name}.png`, fullPage: true });
    },
    close: async () => {
      await Promise.all(contexts.map((c) => c.close()));
      await browser.close();
      await gateway.stop();
      await domains.ledger.close();
      await hub.close();
    },
  };
}

/** The newest sign-in code the demo's outbox holds for a phone: the member's SMS. */
export async function latestCode(hub: TestHub, phone: string): Promise<string> {
  const [message] = await readOutbox(hub.services.db, { recipient: phone, limit: 1 });
  const code = message ? /\b(\d{6})\b/.exec(message.body)?.[1] : undefined;
  if (!code) throw new Error(`no sign-in code in the outbox for ${phone}`);
  return code;
}

/** Signs a member in through the pages, reading the code from the outbox as from an SMS. */
export async function signInMember(bh: BrowserHub, page: Page, phone: string): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel(/Mobile number|手机号码/).fill(phone);
  await page.getByRole('button', { name: /Send me a code|获取验证码/ }).click();
  await page.getByLabel(/Six-digit code|六位验证码/).fill(await latestCode(bh.hub, phone));
  await page.getByRole('button', { name: /^(Sign in|登录)$/ }).click();
  await page.waitForURL('**/me');
}

/** Signs a staff member in through the pages with their API token. */
export async function signInStaff(page: Page, token: string): Promise<void> {
  await page.goto('/staff/sign-in');
  await page.getByLabel('Staff token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
