import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import { isPageRoute } from '../support/access.ts';
import { mountedRoutes } from '../support/api-surface.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import type { TestApp } from '../support/partners.ts';

let hub: TestHub;
let app: TestApp;
beforeAll(async () => {
  hub = await createTestHub();
  app = createApp(hub.services);
});
afterAll(async () => {
  await hub.close();
});

/** Pages anyone may open: the landing page, the sign-in forms, the stylesheet. */
const publicPages = ['/', '/sign-in', '/staff/sign-in', '/portal/sign-in', '/assets/hub.css'];
const anyId = '01890000-0000-7000-8000-000000000000';

function pageRoutes(): Array<{ method: string; path: string }> {
  return mountedRoutes(app)
    .filter(isPageRoute)
    .map((route) => {
      const [method = '', path = ''] = route.split(' ');
      return { method, path: path.replaceAll(/\{[^}]+\}/g, anyId) };
    });
}

describe('who may open the pages', () => {
  it('sends a visitor without a session from every private page to its sign-in', async () => {
    const gets = pageRoutes().filter((r) => r.method === 'GET' && !publicPages.includes(r.path));
    expect(gets.length).toBeGreaterThan(15);
    for (const { path } of gets) {
      const res = await app.request(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location'), path).toMatch(/^\/(staff\/|portal\/)?sign-in$/);
    }
  });

  it('refuses every form post without this session’s CSRF token, changing nothing', async () => {
    const posts = pageRoutes().filter((r) => r.method === 'POST');
    expect(posts.length).toBeGreaterThan(8);
    for (const { path } of posts) {
      const res = await app.request(path, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: 'http://localhost',
          'accept-language': 'en',
        },
        body: '_csrf=guessed&phone=%2B8613800000001',
      });
      expect(res.status, path).toBe(403);
      expect(await res.text(), path).toContain('This form has expired');
    }
    expect(await hub.services.db.selectFrom('member_outbox').select('id').execute()).toEqual([]);
  });

  it('serves public pages with a nonce-only script policy and a session cookie that scripts cannot read', async () => {
    const res = await app.request('/', { headers: { 'accept-language': 'en-GB,en;q=0.9' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'nonce-[^']+'(;|$)/);
    expect(res.headers.get('set-cookie')).toMatch(/^hub_session=[^;]+;.*HttpOnly.*SameSite=Lax/);
    // app.request's URL is http://localhost: loopback over http, so not Secure.
    expect(res.headers.get('set-cookie')).not.toMatch(/Secure/);
    const text = await res.text();
    for (const audience of ['Members', 'Finance', 'Operators', 'Partners'])
      expect(text).toContain(audience);
    const https = await app.request('https://hub.example/');
    expect(https.headers.get('set-cookie')).toMatch(/Secure/);
  });

  it('leaves the JSON API as it was: an unknown API path is still a problem, not a page', async () => {
    const res = await app.request('/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });
});
