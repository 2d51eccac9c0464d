import { sql } from 'kysely';
import { createStaff, revokeStaffTokens } from '../../gateway/index.ts';
import { issueMemberSession } from '../../members/index.ts';
import type { Db } from '../../platform/index.ts';
import { type PartnerSigningKey, signPartnerRequest } from '../../sdk/index.ts';
import { fromAddress, someAddress } from './clients.ts';
import type { TestHub } from './hub.ts';
import { createMember } from './members.ts';
import {
  idempotencyKey,
  newKeyPair,
  newTestPartner,
  type TestApp,
  type TestPartner,
  uniqueCode,
} from './partners.ts';

/**
 * The hub's HTTP surface as /openapi.json describes it, the principals that may call it, and
 * one way to call any route as any of them: what the hostile-input and authorization-matrix
 * tests are generated from, so that a new route is covered without editing them.
 */

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  required?: string[];
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
};

export type Parameter = { name: string; in: 'path' | 'query' | 'header'; schema: JsonSchema };

export type Operation = {
  method: string;
  /** As in the document: /v1/partner/redemptions/{holdId}/capture */
  path: string;
  security: string[];
  tags: string[];
  parameters: Parameter[];
  body?: { mediaType: string; schema: JsonSchema; required: boolean };
};

type OpenApiDocument = {
  paths: Record<string, Record<string, RawOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
};
type RawOperation = {
  security?: Record<string, unknown>[];
  tags?: string[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }>; required?: boolean };
};

/** A schema with its $ref (and those of what it holds) replaced by the component. */
function resolver(doc: OpenApiDocument): (schema: JsonSchema) => JsonSchema {
  const resolve = (schema: JsonSchema, depth = 0): JsonSchema => {
    if (depth > 20) throw new Error('schema nested too deep to resolve');
    const target = schema.$ref
      ? doc.components?.schemas?.[schema.$ref.replace('#/components/schemas/', '')]
      : schema;
    if (!target) throw new Error(`unresolved ${schema.$ref}`);
    const deeper = (s: JsonSchema) => resolve(s, depth + 1);
    return {
      ...target,
      ...(target.properties && {
        properties: Object.fromEntries(
          Object.entries(target.properties).map(([k, v]) => [k, deeper(v)]),
        ),
      }),
      ...(target.items && { items: deeper(target.items) }),
      ...(target.oneOf && { oneOf: target.oneOf.map(deeper) }),
      ...(target.anyOf && { anyOf: target.anyOf.map(deeper) }),
      ...(typeof target.additionalProperties === 'object' && {
        additionalProperties: deeper(target.additionalProperties),
      }),
    };
  };
  return (schema) => resolve(schema);
}

export async function loadOperations(app: TestApp): Promise<Operation[]> {
  const doc = (await (await app.request('/openapi.json')).json()) as OpenApiDocument;
  const resolve = resolver(doc);
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(methods)) {
      const [mediaType, media] = Object.entries(raw.requestBody?.content ?? {})[0] ?? [];
      operations.push({
        method: method.toUpperCase(),
        path,
        security: (raw.security ?? []).flatMap((s) => Object.keys(s)),
        tags: raw.tags ?? [],
        parameters: (raw.parameters ?? []).map((p) => ({ ...p, schema: resolve(p.schema) })),
        ...(mediaType &&
          media && {
            body: {
              mediaType,
              schema: resolve(media.schema),
              required: raw.requestBody?.required === true,
            },
          }),
      });
    }
  }
  return operations;
}

export function operationName(op: Pick<Operation, 'method' | 'path'>): string {
  return `${op.method} ${op.path}`;
}

/** Routes mounted on the app (app.routes), as METHOD and OpenAPI-style path; middleware left out. */
export function mountedRoutes(app: TestApp): string[] {
  const names = app.routes
    .filter((r) => r.method !== 'ALL')
    .map((r) => `${r.method} ${r.path.replaceAll(/:([^/]+)/g, '{$1}')}`);
  return [...new Set(names)];
}

// ---- who may call what ----

export type PrincipalName =
  | 'anonymous'
  | 'member'
  | 'admin'
  | 'finance'
  | 'partner'
  | 'revokedStaff'
  | 'forgedPartner';

export const principalNames: PrincipalName[] = [
  'anonymous',
  'member',
  'admin',
  'finance',
  'partner',
  'revokedStaff',
  'forgedPartner',
];

export type Principals = {
  hub: TestHub;
  app: TestApp;
  adminToken: string;
  financeToken: string;
  revokedToken: string;
  memberToken: string;
  memberId: string;
  partner: TestPartner;
  forgedKey: PartnerSigningKey;
};

export async function createPrincipals(hub: TestHub, app: TestApp): Promise<Principals> {
  const db = hub.services.db;
  const admin = await createStaff(db, { name: uniqueCode('admin'), role: 'admin' });
  const finance = await createStaff(db, { name: uniqueCode('finance'), role: 'finance' });
  const revoked = await createStaff(db, { name: uniqueCode('revoked'), role: 'admin' });
  await revokeStaffTokens(db, revoked.staff.id, hub.services.clock.now());
  const member = await createMember(hub.services);
  const partner = await newTestPartner(hub, { rateLimitPerMinute: 1_000_000 });
  // The partner's own id and kid, signed with a key the hub never saw.
  const forged = await newKeyPair('EdDSA', partner.key.kid);
  return {
    hub,
    app,
    adminToken: admin.token,
    financeToken: finance.token,
    revokedToken: revoked.token,
    memberToken: (await issueMemberSession(hub.services, member.id)).token,
    memberId: member.id,
    partner,
    forgedKey: { ...partner.key, privateKey: forged.privateKey },
  };
}

/**
 * A body of `lengthBytes` bytes ("a"), made piece by piece only as the hub reads it: `pulled`
 * tells how much it read. Sent with a Content-Length, or chunked without one.
 */
export type LazyBody = { lengthBytes: number; declareLength: boolean; pulled: number };

export const lazyPieceBytes = 64 * 1024;

export type ApiRequest = {
  method: string;
  /** Path and query, exactly as sent (percent-encoded where needed). */
  path: string;
  body?: string | Uint8Array | LazyBody;
  /** null: no Content-Type header at all. */
  contentType?: string | null;
};

function lazyStream(body: LazyBody): ReadableStream<Uint8Array> {
  return new ReadableStream({
    pull(controller) {
      const piece = Math.min(lazyPieceBytes, body.lengthBytes - body.pulled);
      if (piece <= 0) return controller.close();
      body.pulled += piece;
      controller.enqueue(new Uint8Array(piece).fill(0x61));
    },
  });
}

/** The bytes a signature covers; a lazy body too large to hold is signed as if empty. */
function signedBytes(body: ApiRequest['body']): Uint8Array {
  if (body === undefined) return new Uint8Array();
  if (typeof body === 'string') return new TextEncoder().encode(body);
  if (body instanceof Uint8Array) return body;
  return body.lengthBytes <= 4 * 1024 * 1024
    ? new Uint8Array(body.lengthBytes).fill(0x61)
    : new Uint8Array();
}

async function signatureHeaders(
  p: Principals,
  key: PartnerSigningKey,
  req: ApiRequest,
  bytes: Uint8Array,
): Promise<Record<string, string>> {
  const url = new URL(req.path, 'http://hub.test');
  return signPartnerRequest(key, {
    method: req.method,
    pathWithQuery: `${url.pathname}${url.search}`,
    body: bytes,
    idempotencyKey: req.method === 'POST' ? idempotencyKey() : undefined,
    timestamp: Math.floor(p.hub.services.clock.now().getTime() / 1000),
  });
}

async function credentials(
  p: Principals,
  who: PrincipalName,
  req: ApiRequest,
  bytes: Uint8Array,
): Promise<Record<string, string>> {
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  switch (who) {
    case 'anonymous':
      return {};
    case 'member':
      // A member's purchases take an Idempotency-Key, like a partner's POSTs: every POST has one.
      return req.method === 'POST'
        ? { ...bearer(p.memberToken), 'idempotency-key': idempotencyKey() }
        : bearer(p.memberToken);
    case 'admin':
      return bearer(p.adminToken);
    case 'finance':
      return bearer(p.financeToken);
    case 'revokedStaff':
      return bearer(p.revokedToken);
    case 'partner':
      return signatureHeaders(p, p.partner.key, req, bytes);
    case 'forgedPartner':
      return signatureHeaders(p, p.forgedKey, req, bytes);
  }
}

/**
 * Sends the request through the app in process, as `who`, from a fresh client address: the
 * limits on failed credentials per address (gateway/auth-limits.ts) are tested on their own,
 * and here each refusal must be the route's own 401 or 403, not a 429 earned by the ones before.
 */
export async function sendAs(
  p: Principals,
  who: PrincipalName,
  req: ApiRequest,
): Promise<Response> {
  const headers = await credentials(p, who, req, signedBytes(req.body));
  const init: RequestInit & { duplex?: 'half' } = { method: req.method, headers };
  const body = typeof req.body === 'string' ? new TextEncoder().encode(req.body) : req.body;
  const client = fromAddress(someAddress());
  if (body === undefined) return p.app.request(req.path, init, client);
  const contentType = req.contentType === undefined ? 'application/json' : req.contentType;
  if (contentType !== null) headers['content-type'] = contentType;
  if (body instanceof Uint8Array) {
    headers['content-length'] = String(body.length);
    init.body = body;
  } else {
    if (body.declareLength) headers['content-length'] = String(body.lengthBytes);
    init.body = lazyStream(body);
    init.duplex = 'half';
  }
  return p.app.request(req.path, init, client);
}

/** Runs `task` over `items`, `width` at a time. */
export async function inBatches<T, R>(
  items: T[],
  width: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

/**
 * Every table's row count and a digest of its rows, except idempotency_keys (a refusal is kept
 * there on purpose, so that a retry gets it again).
 */
export async function databaseDigest(db: Db): Promise<Record<string, string>> {
  const { rows: tables } = await sql<{ name: string }>`
    SELECT tablename AS name FROM pg_tables
    WHERE schemaname = 'public' AND tablename <> 'idempotency_keys' AND tablename NOT LIKE 'kysely_%'
    ORDER BY tablename`.execute(db);
  const digest: Record<string, string> = {};
  for (const { name } of tables) {
    const { rows } = await sql<{ n: number; md5: string | null }>`
      SELECT count(*)::int AS n, md5(string_agg(t::text, '|' ORDER BY t::text)) AS md5
      FROM ${sql.table(name)} t`.execute(db);
    digest[name] = `${rows[0]?.n}:${rows[0]?.md5 ?? ''}`;
  }
  return digest;
}

// ---- requests made from the schemas ----

/** The JSON types a schema allows (a union of objects is an object). */
export function typesOf(schema: JsonSchema): string[] {
  if (schema.const !== undefined) return [typeof schema.const];
  if (schema.enum) return [...new Set(schema.enum.map((v) => (v === null ? 'null' : typeof v)))];
  const variants = schema.oneOf ?? schema.anyOf;
  if (variants) return [...new Set(variants.flatMap(typesOf))];
  if (Array.isArray(schema.type)) return schema.type;
  if (schema.type) return [schema.type];
  return schema.properties ? ['object'] : [];
}

function mainType(schema: JsonSchema): string | undefined {
  return typesOf(schema).find((t) => t !== 'null');
}

function sampleString(schema: JsonSchema): string {
  if (schema.format === 'uuid') return crypto.randomUUID();
  if (schema.format === 'date-time') return new Date().toISOString();
  if (schema.format === 'date') return '2026-01-01';
  if (schema.format === 'email') return 'someone@example.test';
  return 'x'.repeat(Math.max(schema.minLength ?? 1, 1));
}

/** One leaf of a sample value: where it is and what its schema says. */
export type Leaf = { path: string[]; schema: JsonSchema };

/**
 * A value of the schema's shape, and its leaves (strings, numbers, booleans), built together
 * so that every leaf path exists in the value. Unions take their first variant, maps get one
 * key `k`, arrays one item. The value need not pass the schema: it gives every field a place.
 */
export function sampleOf(
  schema: JsonSchema,
  path: string[] = [],
): { value: unknown; leaves: Leaf[] } {
  if (schema.const !== undefined) return { value: schema.const, leaves: [{ path, schema }] };
  if (schema.enum) return { value: schema.enum[0], leaves: [{ path, schema }] };
  const variant = schema.oneOf?.[0] ?? schema.anyOf?.[0];
  if (variant) return sampleOf(variant, path);
  const type = mainType(schema);
  if (type === 'object') return sampleObject(schema, path);
  if (type === 'array') {
    if (!schema.items) return { value: [], leaves: [] };
    const item = sampleOf(schema.items, [...path, '0']);
    return { value: [item.value], leaves: item.leaves };
  }
  const leaf = [{ path, schema }];
  if (type === 'string') return { value: sampleString(schema), leaves: leaf };
  if (type === 'integer' || type === 'number') {
    const low = schema.minimum ?? (schema.exclusiveMinimum ?? 0) + 1;
    return { value: low, leaves: leaf };
  }
  if (type === 'boolean') return { value: true, leaves: leaf };
  return { value: null, leaves: [] };
}

function sampleObject(schema: JsonSchema, path: string[]): { value: unknown; leaves: Leaf[] } {
  const entries = Object.entries(schema.properties ?? {});
  const extra = schema.additionalProperties;
  if (typeof extra === 'object' && mainType(extra)) entries.push(['k', extra]);
  const value: Record<string, unknown> = {};
  const leaves: Leaf[] = [];
  for (const [key, property] of entries) {
    if (!mainType(property)) continue;
    const sample = sampleOf(property, [...path, key]);
    value[key] = sample.value;
    leaves.push(...sample.leaves);
  }
  return { value, leaves };
}

/** A deep copy of `value` with `replacement` at `path`. */
export function withValueAt(value: unknown, path: string[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path as [string, ...string[]];
  if (Array.isArray(value)) {
    return value.map((item, i) =>
      String(i) === head ? withValueAt(item, rest, replacement) : item,
    );
  }
  const record = (value ?? {}) as Record<string, unknown>;
  return { ...record, [head]: withValueAt(record[head], rest, replacement) };
}

/** A plausible value for a path parameter: a fresh uuid, the first of an enum, or `main`. */
export function pathValue(schema: JsonSchema): string {
  if (schema.format === 'uuid') return crypto.randomUUID();
  if (schema.enum) return String(schema.enum[0]);
  return 'main';
}

/**
 * The operation's path with its parameters filled, `overrides` (already percent-encoded)
 * taking precedence, and a query string.
 */
export function pathOf(
  op: Operation,
  overrides: Record<string, string> = {},
  query: Record<string, string> = {},
): string {
  let path = op.path;
  for (const p of op.parameters.filter((x) => x.in === 'path')) {
    path = path.replace(
      `{${p.name}}`,
      overrides[p.name] ?? encodeURIComponent(pathValue(p.schema)),
    );
  }
  const search = Object.entries(query)
    .map(([k, v]) => `${encodeURIComponent(k)}=${v}`)
    .join('&');
  return search ? `${path}?${search}` : path;
}

/** A request to the operation with a body of its declared shape (not necessarily valid). */
export function plausibleRequest(op: Operation, ids: Record<string, string> = {}): ApiRequest {
  if (!op.body) return { method: op.method, path: pathOf(op, ids) };
  const isJson = op.body.mediaType.includes('json');
  return {
    method: op.method,
    path: pathOf(op, ids),
    body: isJson
      ? JSON.stringify(sampleOf(op.body.schema).value)
      : 'order_id,kind,points,amount_minor\n',
    contentType: op.body.mediaType,
  };
}
