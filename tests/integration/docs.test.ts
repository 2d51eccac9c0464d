import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import { problemTypes } from '../../platform/index.ts';
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

describe('API reference', () => {
  it('renders /openapi.json at /docs with scripts the hub serves itself', async () => {
    const res = await app.request('/docs');
    expect(res.status).toBe(200);
    const html = await res.text();
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(sources.filter((s) => /^(https?:)?\/\//.test(s))).toEqual([]);
    const assets = sources.filter((s) => s.startsWith('/docs/assets/'));
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      const served = await app.request(asset);
      expect(served.status, asset).toBe(200);
      expect((await served.arrayBuffer()).byteLength, asset).toBeGreaterThan(20);
    }
    expect((await app.request('/docs/assets/..%2Fpackage.json')).status).toBe(404);
  });

  it('documents every problem type at the anchor its `type` URI names', async () => {
    const html = await (await app.request('/docs/problems')).text();
    for (const type of Object.keys(problemTypes)) expect(html).toContain(`id="${type}"`);
  });

  it('serves docs/signing.md at /docs/signing', async () => {
    const res = await app.request('/docs/signing');
    expect(await res.text()).toContain('hub-request-v1');
  });

  it('describes the partner and admin endpoints and their security in /openapi.json', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<string, unknown>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/partner/me',
        '/v1/partner/stores',
        '/v1/admin/partners',
        '/v1/admin/partners/{partnerId}/keys',
        '/v1/admin/partners/{partnerId}/rules/earn',
        '/.well-known/jwks.json',
      ]),
    );
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual([
      'memberSession',
      'partnerSignature',
      'staffToken',
    ]);
  });
});
