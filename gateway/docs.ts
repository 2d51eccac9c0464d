import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Hono } from 'hono';
import { problemTypes } from '../platform/index.ts';
import { bodyLimitsInWords } from './body.ts';
import type { HubEnv } from './context.ts';
import { jsonDepthMax } from './input.ts';

/**
 * The API reference at /docs: Swagger UI rendering /openapi.json, its scripts and styles
 * served by the hub itself (from the swagger-ui-dist package), so the page works offline and
 * loads nothing from elsewhere. /docs/problems documents every problem `type`.
 */

const assetsDir = path.dirname(
  createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'),
);
const assets: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

const initScript = `window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#api', validatorUrl: null, deepLinking: true });
});`;

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Alliance hub API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<p style="font-family: sans-serif; margin: 1em 2em">
Partner requests are signed: see <a href="/docs/signing">signing</a>.
Error types: <a href="/docs/problems">problems</a>. The document itself: <a href="/openapi.json">/openapi.json</a>.
</p>
<div id="api"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>`;

const whenTheyHappen: Partial<Record<keyof typeof problemTypes, string>> = {
  validation_failed:
    'The input failed validation; `errors` lists each field and why (`(body)` for a body that is empty or not valid JSON, `query.<name>` and `param.<name>` for parameters). ' +
    'Every string, key and parameter is refused if it holds a control character other than tab, line feed and carriage return (U+0000-U+001F, U+007F-U+009F) or a lone surrogate, ' +
    `and a JSON body nested deeper than ${jsonDepthMax} levels is refused. Nothing changed.`,
  idempotency_key_missing: 'A partner POST came without an Idempotency-Key header.',
  unauthenticated: 'No credentials: no staff token, or no signature headers on a partner call.',
  signature_invalid:
    'The partner signature is wrong, stale (over 5 minutes), made with an unknown or revoked key, or its nonce was already used.',
  forbidden: 'Authenticated, but not allowed: another role is needed, or the partner is suspended.',
  not_found: 'No such resource, or it belongs to someone else.',
  four_eyes_required:
    'Four eyes: the finance user who approved a settlement period cannot also mark it paid. Another finance user records the payments.',
  liability_limit_reached:
    "The purchase would take the issuer's outstanding points past the limit finance set for it (`limitPoints`, `outstandingPoints` and `askedPoints` say by how much). Nothing was booked: raise the limit, or wait for points to be spent or to expire, then send the purchase again under a new Idempotency-Key.",
  idempotency_in_progress:
    'The first request with this Idempotency-Key is still running; retry shortly.',
  idempotency_key_reused:
    'This Idempotency-Key was already used with another method, path or body.',
  order_reused:
    'The order id was already reported (accrued, or redeemed) with other details; each order id earns once and redeems once, whatever Idempotency-Key its retries carry.',
  rate_limited:
    "A limit was reached: a partner's requests per minute, invalid pay codes, sign-in codes asked for or wrong, or failed credentials from one address (see the README's Limits). Retry-After says when to try again.",
  conflict:
    "The request conflicts with what exists, e.g. a customer id linked to another member, or a phone or email that the member does not have (`errors` names it: a partner never adds or changes a member's contact).",
  unavailable:
    'A service the hub depends on is down; or, with `reason` `no_message_sender`, the hub runs outside demo mode without a sender for sign-in codes.',
  payload_too_large: `The request body is over the limit of its route: ${bodyLimitsInWords()}. Refused as soon as the declared Content-Length, or the bytes read so far, pass it.`,
  unsupported_media_type:
    'The request has a body without a Content-Type, or with one the endpoint does not take: JSON endpoints take application/json (or application/*+json), reconciliation files text/csv.',
};

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function problemsPage(): string {
  const rows = Object.entries(problemTypes)
    .map(([type, { status, title }]) => {
      const when = whenTheyHappen[type as keyof typeof problemTypes] ?? '';
      return `<tr id="${type}"><td><code>${type}</code></td><td>${status}</td><td>${escapeHtml(title)}</td><td>${escapeHtml(when)}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Problem types</title>
<style>body{font-family:sans-serif;margin:2em}td,th{padding:.3em .8em;text-align:left;vertical-align:top}tr:target{background:#ffd}</style>
</head><body>
<h1>Problem types</h1>
<p>Every error is <code>application/problem+json</code> (RFC 9457) whose <code>type</code> is <code>/docs/problems#&lt;type&gt;</code>; clients may branch on it.</p>
<table><thead><tr><th>type</th><th>status</th><th>title</th><th>when</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>`;
}

export function docsRoutes(): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  app.get('/docs', (c) => c.html(page));
  app.get('/docs/problems', (c) => c.html(problemsPage()));
  app.get('/docs/signing', async (c) => {
    const text = await readFile(new URL('../docs/signing.md', import.meta.url), 'utf8');
    return c.body(text, 200, { 'content-type': 'text/markdown; charset=utf-8' });
  });
  app.get('/docs/assets/init.js', (c) =>
    c.body(initScript, 200, { 'content-type': 'text/javascript; charset=utf-8' }),
  );
  app.get('/docs/assets/:file', async (c) => {
    const file = c.req.param('file');
    const type = assets[file];
    if (!type) return c.notFound();
    const body = await readFile(path.join(assetsDir, file));
    return c.body(body, 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' });
  });
  return app;
}
