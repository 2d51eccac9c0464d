import type { Operation, PrincipalName } from './api-surface.ts';

/**
 * Who may reach each route of the hub: the decision the authorization matrix checks, and the
 * principal the hostile-input test calls each route as.
 *
 * A route with an OpenAPI security scheme is decided by the scheme and the audience tag of the
 * router it is mounted on. A route without one must be named in publicRoutes with the reason
 * it is open. A route that matches nothing here has no decision: the matrix fails on it, so a
 * new route cannot ship without one.
 */

export type Decision = { allowed: PrincipalName[] | 'public'; why: string };

const bySchemeAndTag: Array<{
  scheme: string;
  tag: (tag: string) => boolean;
  allowed: PrincipalName[];
  why: string;
}> = [
  {
    scheme: 'staffToken',
    tag: (t) => t === 'admin',
    allowed: ['admin'],
    why: 'the hub operator’s API: a staff token with the admin role',
  },
  {
    scheme: 'staffToken',
    tag: (t) => t === 'finance',
    allowed: ['finance'],
    why: 'settlement: a staff token with the finance role (an admin is refused too)',
  },
  {
    scheme: 'partnerSignature',
    tag: (t) => t === 'partner' || t.startsWith('partner: '),
    allowed: ['partner'],
    why: 'server-to-server calls signed with a key the partner registered',
  },
  {
    scheme: 'memberSession',
    tag: (t) => t === 'member',
    allowed: ['member'],
    why: 'the signed-in member’s own data',
  },
];

/** Documented routes without a security scheme, each open on purpose. */
const publicRoutes: Record<string, string> = {
  'GET /.well-known/jwks.json': 'the hub’s public keys: anyone verifies receipts and sessions',
  'POST /v1/member/sign-in/code':
    'the first step of signing in; answers the same for any contact, limited per contact',
  'POST /v1/member/sign-in/session': 'signing in: the one-time code is the credential',
  'POST /v1/payments/{provider}/notices':
    'a payment provider’s notification: its own signature over the body is the credential',
  'GET /v1/dev/member-outbox':
    'development only: whether it exists at all is decided by the demo mode, tested with it',
};

/** Mounted on the app but not in /openapi.json; all public, none takes input it acts on. */
export const undocumentedRoutes: Record<string, string> = {
  'GET /healthz': 'liveness for the load balancer',
  'GET /readyz': 'readiness for the load balancer',
  'GET /metrics':
    'Prometheus metrics: loopback or the METRICS_TOKEN bearer only (observability.test.ts)',
  'GET /live': 'a static page; the figures it shows come from /metrics, under its rule',
  'GET /openapi.json': 'the API description',
  'GET /docs': 'the API reference page',
  'GET /docs/problems': 'the problem types',
  'GET /docs/signing': 'how partners sign',
  'GET /docs/assets/init.js': 'the reference page’s script',
  'GET /docs/assets/{file}': 'the reference page’s assets, from a fixed list',
};

export function decisionFor(op: Operation): Decision | undefined {
  const name = `${op.method} ${op.path}`;
  if (op.security.length === 0) {
    const why = publicRoutes[name];
    return why === undefined ? undefined : { allowed: 'public', why };
  }
  if (op.security.length !== 1 || publicRoutes[name] !== undefined) return undefined;
  const rules = bySchemeAndTag.filter(
    (r) => r.scheme === op.security[0] && op.tags.length > 0 && op.tags.every(r.tag),
  );
  const rule = rules.length === 1 ? rules[0] : undefined;
  return rule && { allowed: rule.allowed, why: rule.why };
}

/**
 * The server-rendered pages (gateway/pages/): for people, not an API, so not in /openapi.json.
 * Who may open them is tested by tests/integration/pages.test.ts (every page route, every
 * kind of visitor) and tests/e2e/.
 */
export function isPageRoute(route: string): boolean {
  const path = route.slice(route.indexOf(' ') + 1);
  return (
    path === '/' ||
    path === '/assets/hub.css' ||
    /^\/(sign-in|sign-out|me|staff|finance|admin|portal)(\/|$)/.test(path)
  );
}
