import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import { verifyLedger } from '../../ledger/index.ts';
import { decisionFor, isPageRoute, undocumentedRoutes } from '../support/access.ts';
import {
  createPrincipals,
  databaseDigest,
  inBatches,
  loadOperations,
  mountedRoutes,
  type Operation,
  operationName,
  type PrincipalName,
  type Principals,
  pathOf,
  plausibleRequest,
  principalNames,
  sendAs,
} from '../support/api-surface.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';

/**
 * Every route of /openapi.json against every principal its decision (tests/support/access.ts)
 * does not allow: refused with 401 or 403 problem+json, and nothing changed. Generated from the
 * document, so a new route is covered, and one without a decision fails here.
 */

let hub: TestHub;
let principals: Principals;
let operations: Operation[];

beforeAll(async () => {
  hub = await createTestHub();
  const app = createApp(hub.services);
  principals = await createPrincipals(hub, app);
  operations = await loadOperations(app);
});
afterAll(async () => {
  await hub.close();
});

describe('authorization matrix, from /openapi.json', () => {
  it('has a decision for every route, and every mounted route is documented or listed', () => {
    expect(operations.length).toBeGreaterThan(50);
    expect(operations.filter((op) => !decisionFor(op)).map(operationName)).toEqual([]);
    const documented = new Set(operations.map(operationName));
    const unlisted = mountedRoutes(principals.app).filter(
      (route) =>
        !documented.has(route) && undocumentedRoutes[route] === undefined && !isPageRoute(route),
    );
    expect(unlisted).toEqual([]);
  });

  it('lets each principal through where it is allowed (so a refusal below means something)', async () => {
    const reads = (['member', 'admin', 'finance', 'partner'] as const).map((who) => {
      const op = operations.find((o) => {
        const allowed = decisionFor(o)?.allowed;
        return (
          o.method === 'GET' &&
          !o.path.includes('{') &&
          Array.isArray(allowed) &&
          allowed.includes(who)
        );
      });
      if (!op) throw new Error(`no GET route without parameters for ${who}`);
      return { who, op };
    });
    for (const { who, op } of reads) {
      const res = await sendAs(principals, who, { method: 'GET', path: pathOf(op) });
      expect(res.status, `${who} on ${operationName(op)}`).toBe(200);
    }
  });

  it('refuses every other principal with 401 or 403 problem+json, and changes nothing', async () => {
    const db = hub.services.db;
    const before = await databaseDigest(db);
    const calls = operations.flatMap((op) => {
      const allowed = decisionFor(op)?.allowed;
      if (!Array.isArray(allowed)) return [];
      const refused = principalNames.filter((who) => !allowed.includes(who));
      return refused.map((who): { op: Operation; who: PrincipalName } => ({ op, who }));
    });
    const failures = await inBatches(calls, 8, async ({ op, who }) => {
      const res = await sendAs(principals, who, plausibleRequest(op));
      const type = res.headers.get('content-type') ?? '';
      const body = await res.text();
      const refused = [401, 403].includes(res.status) && type === 'application/problem+json';
      return refused ? [] : [`${who} on ${operationName(op)}: ${res.status} ${body.slice(0, 160)}`];
    });
    expect(calls.length).toBeGreaterThan(250);
    expect(failures.flat()).toEqual([]);
    expect(await databaseDigest(db)).toEqual(before);
    expect(await verifyLedger(db)).toEqual([]);
  });
});
