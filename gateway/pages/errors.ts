import type { Context, ErrorHandler } from 'hono';
import { html } from 'hono/html';
import { isAppError, isDatabaseUnavailable, isRedisUnavailable } from '../../platform/index.ts';
import { layout } from './layout.ts';
import type { PageEnv } from './session.ts';

/** Where a signed-out visitor to a page of this area signs in. */
export function signInPathFor(path: string): string {
  if (path.startsWith('/finance') || path.startsWith('/admin')) return '/staff/sign-in';
  if (path.startsWith('/portal')) return '/portal/sign-in';
  return '/sign-in';
}

/**
 * Errors on pages are pages: a person reads them, not a client. The use cases throw the same
 * AppErrors as for the JSON API; here their message is shown with a way back. Anything else
 * is logged and shown as a plain 500 without detail.
 */
export const pageError: ErrorHandler<PageEnv> = (error, c) => {
  if (isAppError(error) && error.type === 'unauthenticated' && c.req.method === 'GET') {
    return c.redirect(signInPathFor(c.req.path), 303);
  }
  if (isAppError(error)) {
    const text =
      error.extra.reason === 'csrf'
        ? c.get('speaker').t('error.csrf')
        : error.type === 'forbidden'
          ? c.get('speaker').t('error.forbidden')
          : error.message;
    return errorPage(c, error.status, text);
  }
  if (isDatabaseUnavailable(error) || isRedisUnavailable(error)) {
    c.header('retry-after', '1');
    return errorPage(c, 503, 'The service is briefly unavailable; try again in a moment.');
  }
  c.get('logger').error({ err: error }, 'page failed');
  return errorPage(c, 500, 'Something went wrong on our side.');
};

export function errorPage(
  c: Context<PageEnv>,
  status: number,
  text: string,
): Response | Promise<Response> {
  const { t } = c.get('speaker');
  const body = html`<div class="card"><h1>${t('error.title')}</h1>
    <p role="alert">${text}</p>
    <p><a href="${c.req.header('referer')?.startsWith(new URL(c.req.url).origin) ? (c.req.header('referer') ?? '/') : '/'}">${t('error.back')}</a></p></div>`;
  return c.html(layout(c, { title: t('error.title'), body }), status as 400);
}
