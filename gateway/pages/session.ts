import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { AppError, isUuid } from '../../platform/index.ts';
import type { HubEnv } from '../context.ts';
import { type Locale, pickLocale, type Speaker, speaker } from './i18n.ts';

/**
 * Who a page speaks to. The session is one cookie: a JWT the hub signs (the same keys as
 * member API sessions, another audience), HttpOnly, SameSite=Lax, Secure unless the page is
 * served over plain http on loopback. It carries who signed in and this session's CSRF token;
 * every request checks the principal again against the database (a closed membership, a
 * revoked staff token or a disabled partner user ends the session at once).
 */
export type PagePrincipal =
  | { kind: 'member'; id: string }
  | { kind: 'staff'; id: string; tokenId: string }
  | { kind: 'partner'; id: string; partnerId: string };

export type PageSession = { csrf: string; principal: PagePrincipal | null };

export type PageEnv = {
  Variables: HubEnv['Variables'] & {
    session: PageSession;
    speaker: Speaker;
    nonce: string;
    demo: boolean;
  };
};

export const sessionCookie = 'hub_session';
export const langCookie = 'hub_lang';
const audience = 'pages';
const anonymous = 'anonymous';
/** Long enough for a shift at a desk; a member's phone signs in again after it. */
export const pageSessionTtlSeconds = 8 * 60 * 60;

function newCsrfToken(): string {
  return randomBytes(24).toString('base64url');
}

function isLoopbackHttp(c: Context): boolean {
  const url = new URL(c.req.url);
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/** Cookie attributes every page cookie shares. */
export function cookieOptions(c: Context, maxAgeSeconds: number) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'Lax' as const,
    secure: !isLoopbackHttp(c),
    maxAge: maxAgeSeconds,
  };
}

function claimsOf(session: PageSession): Record<string, string> {
  const p = session.principal;
  if (p === null) return { csrf: session.csrf };
  if (p.kind === 'staff') return { csrf: session.csrf, k: p.kind, tid: p.tokenId };
  if (p.kind === 'partner') return { csrf: session.csrf, k: p.kind, pid: p.partnerId };
  return { csrf: session.csrf, k: p.kind };
}

function principalOf(sub: string, claims: Record<string, unknown>): PagePrincipal | null {
  if (sub === anonymous || !isUuid(sub)) return null;
  const { k, tid, pid } = claims;
  if (k === 'member') return { kind: 'member', id: sub };
  if (k === 'staff' && typeof tid === 'string' && isUuid(tid))
    return { kind: 'staff', id: sub, tokenId: tid };
  if (k === 'partner' && typeof pid === 'string' && isUuid(pid))
    return { kind: 'partner', id: sub, partnerId: pid };
  return null;
}

async function readSession(c: Context<PageEnv>): Promise<PageSession | null> {
  const token = getCookie(c, sessionCookie);
  if (!token || token.length > 4096) return null;
  const { hubSigner, clock } = c.get('services');
  try {
    const payload = await hubSigner.verifyJwt(token, { audience, now: clock.now() });
    const csrf = payload.csrf;
    if (typeof csrf !== 'string' || typeof payload.sub !== 'string') return null;
    return { csrf, principal: principalOf(payload.sub, payload) };
  } catch {
    // A stale or foreign cookie is simply no session: the visitor gets a fresh anonymous one.
    return null;
  }
}

/** Starts a session (anonymous, or after a sign-in) with a new CSRF token. */
export async function startSession(
  c: Context<PageEnv>,
  principal: PagePrincipal | null,
): Promise<PageSession> {
  const session = { csrf: newCsrfToken(), principal };
  const { hubSigner, clock } = c.get('services');
  const token = await hubSigner.signJwt(claimsOf(session), {
    subject: principal?.id ?? anonymous,
    audience,
    expiresInSeconds: pageSessionTtlSeconds,
    now: clock.now(),
  });
  setCookie(c, sessionCookie, token, cookieOptions(c, pageSessionTtlSeconds));
  c.set('session', session);
  return session;
}

export async function endSession(c: Context<PageEnv>): Promise<void> {
  deleteCookie(c, sessionCookie, { path: '/', secure: !isLoopbackHttp(c) });
  await startSession(c, null);
}

/**
 * Every page request: the session (a fresh anonymous one when there is none, so that even the
 * sign-in forms carry a CSRF token), and the reader's language: `?lang=` switches and is
 * remembered in a cookie, else the cookie, else Accept-Language.
 */
export function pageContext(demo: boolean): MiddlewareHandler<PageEnv> {
  return async (c, next) => {
    c.set('demo', demo);
    const asked = c.req.query('lang');
    let chosen = getCookie(c, langCookie);
    if (asked === 'zh' || asked === 'en') {
      chosen = asked;
      setCookie(c, langCookie, asked, cookieOptions(c, 365 * 24 * 60 * 60));
    }
    const locale: Locale = pickLocale(chosen, c.req.header('accept-language'));
    c.set('speaker', speaker(locale));
    const session = await readSession(c);
    if (session) c.set('session', session);
    else await startSession(c, null);
    await next();
  };
}

function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * CSRF on every state-changing page request, twice over: the browser must say the request
 * comes from this origin (Sec-Fetch-Site, or Origin where a browser sends no fetch metadata),
 * and the form (or a script's header) must carry this session's token, which only pages
 * served to this session contain. The token is per session rather than a double-submit
 * cookie: a cookie planted by a sibling subdomain cannot forge it.
 */
export function csrfGuard(): MiddlewareHandler<PageEnv> {
  return async (c, next) => {
    if (['GET', 'HEAD', 'OPTIONS'].includes(c.req.method)) return next();
    const site = c.req.header('sec-fetch-site');
    const origin = c.req.header('origin');
    const ownOrigin = new URL(c.req.url).origin;
    const sameOrigin = site !== undefined ? site === 'same-origin' : origin === ownOrigin;
    const sent = c.req.header('x-csrf-token') ?? (await formToken(c));
    if (!sameOrigin || sent === undefined || !sameToken(sent, c.get('session').csrf)) {
      throw new AppError('forbidden', 'csrf', { extra: { reason: 'csrf' } });
    }
    await next();
  };
}

async function formToken(c: Context<PageEnv>): Promise<string | undefined> {
  const type = c.req.header('content-type') ?? '';
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type)) return undefined;
  const body = await c.req.parseBody();
  const token = body._csrf;
  return typeof token === 'string' ? token : undefined;
}

/** The signed-in principal of the kind a page needs, or a redirect to that kind's sign-in. */
export function principalOfKind<K extends PagePrincipal['kind']>(
  c: Context<PageEnv>,
  kind: K,
): Extract<PagePrincipal, { kind: K }> | null {
  const p = c.get('session').principal;
  return p !== null && p.kind === kind ? (p as Extract<PagePrincipal, { kind: K }>) : null;
}
