import type { Hono } from 'hono';
import { html } from 'hono/html';
import type { TextKey } from './i18n.ts';
import { layout } from './layout.ts';
import type { PageEnv } from './session.ts';

const audiences: Array<{ title: TextKey; text: TextKey; href: string }> = [
  { title: 'landing.members', text: 'landing.membersText', href: '/me' },
  { title: 'landing.finance', text: 'landing.financeText', href: '/finance' },
  { title: 'landing.operators', text: 'landing.operatorsText', href: '/admin' },
  { title: 'landing.partners', text: 'landing.partnersText', href: '/portal' },
];

/** GET /: who the hub is for, and where each of them signs in. */
export function registerLanding(app: Hono<PageEnv>): void {
  app.get('/', (c) => {
    const { t } = c.get('speaker');
    const body = html`<h1>${t('app.name')}</h1><p>${t('app.tagline')}</p>
      <div class="grid">${audiences.map(
        (a) => html`<section class="card"><h2>${t(a.title)}</h2><p>${t(a.text)}</p>
          <p><a class="button" href="${a.href}">${t('landing.signIn')}</a></p></section>`,
      )}</div>
      <p><a href="/docs">${t('landing.api')}</a></p>`;
    return c.html(layout(c, { title: t('app.name'), body }));
  });
}
