import type { Context } from 'hono';
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { TextKey } from './i18n.ts';
import type { PageEnv } from './session.ts';

/**
 * The pages are written with hono/html's tagged template rather than JSX syntax: Node runs
 * this codebase's TypeScript by type stripping, which erases types but transforms nothing,
 * and `.tsx` files are refused outright. html`` needs no transform, escapes every value
 * interpolated into it (text and attribute values alike, always quoted here), and composes
 * with Hono's JSX nodes should a page ever build them with jsx() calls.
 */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export type NavLink = { href: string; label: TextKey };

export const memberNav: NavLink[] = [
  { href: '/me', label: 'nav.home' },
  { href: '/me/pay', label: 'nav.pay' },
  { href: '/me/membership', label: 'nav.membership' },
];
export const financeNav: NavLink[] = [
  { href: '/finance', label: 'nav.periods' },
  { href: '/finance/liability', label: 'nav.liability' },
];
export const adminNav: NavLink[] = [
  { href: '/admin', label: 'nav.partners' },
  { href: '/admin/tiers', label: 'nav.tiers' },
  { href: '/admin/settings', label: 'nav.settings' },
  { href: '/admin/segments', label: 'nav.segments' },
  { href: '/admin/audit', label: 'nav.audit' },
];
export const portalNav: NavLink[] = [
  { href: '/portal', label: 'nav.statements' },
  { href: '/portal/keys', label: 'nav.keys' },
  { href: '/portal/webhooks', label: 'nav.webhooks' },
  { href: '/portal/benefits', label: 'nav.benefits' },
];

/** The hidden field every form carries (gateway/pages/session.ts csrfGuard). */
export function csrfField(c: Context<PageEnv>): Html {
  return html`<input type="hidden" name="_csrf" value="${c.get('session').csrf}">`;
}

function switchLanguageHref(c: Context<PageEnv>): string {
  const url = new URL(c.req.url);
  url.searchParams.set('lang', c.get('speaker').locale === 'zh' ? 'en' : 'zh');
  return `${url.pathname}?${url.searchParams.toString()}`;
}

function navigation(c: Context<PageEnv>, nav: NavLink[]): Html {
  const { t } = c.get('speaker');
  const here = c.req.path;
  const signedIn = c.get('session').principal !== null;
  return html`<nav aria-label="${t('nav.main')}"><ul>
    ${nav.map(
      (link) =>
        html`<li><a href="${link.href}"${here === link.href ? html` aria-current="page"` : ''}>${t(link.label)}</a></li>`,
    )}
    <li><a href="${switchLanguageHref(c)}" lang="${c.get('speaker').locale === 'zh' ? 'en' : 'zh'}">${t('lang.switch')}</a></li>
    ${
      signedIn
        ? html`<li><form method="post" action="/sign-out">${csrfField(c)}<button class="link">${t('nav.signOut')}</button></form></li>`
        : ''
    }
  </ul></nav>`;
}

/** The page shell: one stylesheet, a skip link, the navigation, then the page's own content. */
export function layout(
  c: Context<PageEnv>,
  page: { title: string; nav?: NavLink[]; body: Html; scripts?: Html },
): Html {
  const { t, locale } = c.get('speaker');
  return html`<!doctype html>
<html lang="${locale === 'zh' ? 'zh-CN' : 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · ${t('app.name')}</title>
<link rel="stylesheet" href="/assets/hub.css">
</head>
<body>
<a class="skip" href="#main">${locale === 'zh' ? '跳到正文' : 'Skip to content'}</a>
<header class="top"><a class="brand" href="/">${t('app.name')}</a>${navigation(c, page.nav ?? [])}</header>
<main id="main">
${page.body}
</main>
${page.scripts ?? ''}
</body>
</html>`;
}

/** A small notice under a heading: saved, refused, and the like. */
export function notice(kind: 'ok' | 'error', text: string): Html {
  return html`<p class="notice ${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${text}</p>`;
}
