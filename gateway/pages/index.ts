import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import type { SignInCodeSender } from '../../members/index.ts';
import type { Services } from '../../platform/index.ts';
import { registerAdmin } from './admin.ts';
import { registerAlliance } from './alliance.ts';
import { registerAllianceSettings } from './alliance-settings.ts';
import { pageError } from './errors.ts';
import { registerFinance } from './finance.ts';
import { registerLanding } from './landing.ts';
import { registerLiability } from './liability.ts';
import { registerMemberHome } from './member.ts';
import { registerMembership } from './membership.ts';
import { registerPayCode } from './pay.ts';
import { registerPortal } from './portal.ts';
import { registerPortalWebhooks } from './portal-webhooks.ts';
import { pageHeaders } from './security.ts';
import { csrfGuard, type PageEnv, pageContext } from './session.ts';
import { registerMemberSignIn } from './sign-in.ts';
import { registerStaffSignIn } from './staff.ts';

export type PageRoutesOptions = {
  demo: boolean;
  senderFor: (services: Services) => SignInCodeSender | undefined;
};

const stylesheet = readFileSync(new URL('./hub.css', import.meta.url), 'utf8');

/**
 * Paths the pages own; everything else (the JSON API, /docs) never passes their middleware.
 * No two overlap ('/me/*' matches '/me' too), so each request passes the middleware once.
 */
export const pagePaths = [
  '/',
  '/sign-in/*',
  '/sign-out',
  '/me/*',
  '/staff/*',
  '/finance/*',
  '/admin/*',
  '/portal/*',
];

/**
 * The server-rendered pages for members, finance, operators and partners. Each page calls the
 * same domain functions as the JSON routes; this folder only renders. Not part of the OpenAPI
 * document: these are pages for people, not an API.
 */
export function pageRoutes(options: PageRoutesOptions): Hono<PageEnv> {
  const app = new Hono<PageEnv>();
  app.onError(pageError);
  app.get('/assets/hub.css', (c) =>
    c.body(stylesheet, 200, {
      'content-type': 'text/css; charset=utf-8',
      'cache-control': 'public, max-age=3600',
      'x-content-type-options': 'nosniff',
    }),
  );
  for (const path of pagePaths) {
    app.use(path, pageHeaders, pageContext(options.demo), csrfGuard());
  }
  registerLanding(app);
  registerMemberSignIn(app, options.senderFor);
  registerMemberHome(app);
  registerPayCode(app);
  registerMembership(app);
  registerStaffSignIn(app);
  registerFinance(app);
  registerLiability(app);
  registerAdmin(app);
  registerAlliance(app);
  registerAllianceSettings(app);
  registerPortal(app);
  registerPortalWebhooks(app);
  return app;
}
