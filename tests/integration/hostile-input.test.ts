import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyMaxBytesFor } from '../../gateway/body.ts';
import { createApp, startGateway } from '../../gateway/index.ts';
import { verifyLedger } from '../../ledger/index.ts';
import { manualClock, newId } from '../../platform/index.ts';
import { runSettlement } from '../../settlement/index.ts';
import { decisionFor } from '../support/access.ts';
import {
  type ApiRequest,
  createPrincipals,
  databaseDigest,
  inBatches,
  type JsonSchema,
  type LazyBody,
  lazyPieceBytes,
  loadOperations,
  type Operation,
  operationName,
  type PrincipalName,
  type Principals,
  pathOf,
  plausibleRequest,
  sampleOf,
  sendAs,
  typesOf,
  withValueAt,
} from '../support/api-surface.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { accrueFor, ledgerFor } from '../support/ledger.ts';

/**
 * Hostile and careless input on every route of /openapi.json, each sent as a principal allowed
 * on the route (so validation, not authentication, answers): broken, mistyped, empty, oversized
 * and deeply nested bodies, control characters, lone surrogates, overlong strings and numbers
 * out of range in every field and parameter. Every answer is a 4xx problem+json, the field is
 * named where there is one, and no table changes. Generated from the document: a new route is
 * covered without editing this file.
 */

type Expectation = { status?: number; type?: string; field?: string; exactField?: boolean };
type Case = { name: string; op: Operation; request: ApiRequest; expect: Expectation };

const clock = manualClock(new Date('2026-07-01T03:00:00Z'));
let hub: TestHub;
let principals: Principals;
let operations: Operation[];
/** Path parameters some routes look up before they read their body: real ones. */
let realIds: Record<string, string>;

/**
 * A settlement period computed over one accrual, for the routes that read a period's file.
 * Made first: it moves the clock past the period, and sessions are issued after.
 */
async function computedPeriodId(): Promise<string> {
  const ledger = ledgerFor(hub, clock);
  await accrueFor(ledger, newId(), newId(), 100);
  await ledger.close();
  clock.set(new Date('2026-07-02T16:02:00Z'));
  await runSettlement(hub.services.db, clock);
  const period = await hub.services.db
    .selectFrom('settlement_periods')
    .select('id')
    .executeTakeFirstOrThrow();
  return period.id;
}

beforeAll(async () => {
  hub = await createTestHub({ clock });
  const periodId = await computedPeriodId();
  const app = createApp(hub.services);
  principals = await createPrincipals(hub, app);
  operations = await loadOperations(app);
  realIds = { periodId, partnerId: principals.partner.partner.id };
});
afterAll(async () => {
  await hub.close();
});

function allowedPrincipal(op: Operation): PrincipalName {
  const allowed = decisionFor(op)?.allowed;
  if (allowed === undefined) throw new Error(`no access decision for ${operationName(op)}`);
  return allowed === 'public' ? 'anonymous' : (allowed[0] ?? 'anonymous');
}

const invalid = (field: string, exactField = false): Expectation => ({
  status: 400,
  type: 'validation_failed',
  field,
  exactField,
});

/** Text that breaks the hub's rule for strings wherever it appears. */
const hostileTexts: Array<[string, string]> = [
  ['NUL', 'a\u0000b'],
  ['a control character', 'a\u001bb'],
  ['DEL', 'a\u007fb'],
  ['a C1 control', 'a\u0085b'],
  ['a lone surrogate', 'a\ud800b'],
];

/** Numbers worth trying; each is sent where the field's schema refuses it. */
const hostileNumbers: Array<[string, number]> = [
  ['negative', -1],
  ['zero', 0],
  ['fractional', 1.5],
  ['huge', 1e300],
  ['past 2^63', 2 ** 64],
];

function numberAllowed(schema: JsonSchema, n: number): boolean {
  if (!typesOf(schema).includes('number') && !Number.isInteger(n)) return false;
  if (schema.minimum !== undefined && n < schema.minimum) return false;
  if (schema.exclusiveMinimum !== undefined && n <= schema.exclusiveMinimum) return false;
  if (schema.maximum !== undefined && n > schema.maximum) return false;
  if (schema.exclusiveMaximum !== undefined && n >= schema.exclusiveMaximum) return false;
  return true;
}

/** A value of a JSON type the schema does not allow, if there is one. */
function wrongTypeFor(schema: JsonSchema): unknown {
  const allowed = typesOf(schema);
  if (allowed.length === 0) return undefined;
  const candidates: Array<[string, unknown]> = [
    ['number', 12.5],
    ['string', 'not of this type'],
    ['boolean', true],
    ['array', [1]],
    ['object', { unexpected: 1 }],
  ];
  const usable = candidates.find(
    ([type]) => !allowed.includes(type) && !(type === 'number' && allowed.includes('integer')),
  );
  return usable?.[1];
}

function nested(levels: number, leaf: string): string {
  return '['.repeat(levels) + leaf + ']'.repeat(levels);
}

function lazy(lengthBytes: number, declareLength: boolean): LazyBody {
  return { lengthBytes, declareLength, pulled: 0 };
}

/** Body cases every route with a JSON body gets, whatever its schema. */
function jsonBodyCases(op: Operation, base: unknown): Case[] {
  const path = pathOf(op, realIds);
  const json = JSON.stringify(base);
  const firstProperty = Object.keys(base as object)[0] ?? 'a';
  const at = (name: string, request: Omit<ApiRequest, 'method' | 'path'>, expect: Expectation) => ({
    name,
    op,
    request: { method: op.method, path, ...request },
    expect,
  });
  return [
    at('malformed JSON', { body: '{"broken": ' }, invalid('(body)', true)),
    at('JSON that is only a string', { body: '"text"' }, { status: 400 }),
    at('text/plain', { body: json, contentType: 'text/plain' }, { status: 415 }),
    at(
      'a form',
      { body: 'a=1', contentType: 'application/x-www-form-urlencoded' },
      { status: 415 },
    ),
    at('no Content-Type', { body: json, contentType: null }, { status: 415 }),
    at('an empty body without Content-Type', { body: '', contentType: null }, { status: 400 }),
    at('an empty JSON body', { body: '' }, { status: 400 }),
    at('no body at all', {}, { status: 400 }),
    at('10,000 nested arrays', { body: nested(10_000, '') }, { status: 400 }),
    at(
      '10,000 nested objects',
      { body: `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}` },
      { status: 400 },
    ),
    at(
      `10,000 nested arrays in ${firstProperty}`,
      { body: `{"${firstProperty}":${nested(10_000, '1')}}` },
      invalid(firstProperty),
    ),
    at(
      'a key with NUL',
      { body: JSON.stringify({ ...(base as object), 'k\u0000': 1 }) },
      invalid('(body)', true),
    ),
  ];
}

/** Cases for each field of a JSON body: wrong types, hostile text, overlong, numbers out of range. */
function jsonFieldCases(op: Operation, schema: JsonSchema): Case[] {
  const { value: base, leaves } = sampleOf(schema);
  const path = pathOf(op, realIds);
  const withField = (name: string, field: string[], value: unknown, expect: Expectation): Case => ({
    name: `${name} in ${field.join('.')}`,
    op,
    request: { method: op.method, path, body: JSON.stringify(withValueAt(base, field, value)) },
    expect,
  });
  const cases = jsonBodyCases(op, base);
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    const wrong = wrongTypeFor(property);
    if (wrong !== undefined) cases.push(withField('a wrong type', [key], wrong, invalid(key)));
  }
  for (const leaf of leaves) {
    const field = leaf.path.join('.');
    const types = typesOf(leaf.schema);
    if (types.includes('string')) {
      for (const [name, text] of hostileTexts)
        cases.push(withField(name, leaf.path, text, invalid(field, true)));
      const overlong = 'x'.repeat((leaf.schema.maxLength ?? 1000) + 1);
      cases.push(withField('an overlong string', leaf.path, overlong, invalid(field)));
    }
    if (types.includes('integer') || types.includes('number')) {
      for (const [name, n] of hostileNumbers) {
        if (!numberAllowed(leaf.schema, n))
          cases.push(withField(`a ${name} number`, leaf.path, n, invalid(field)));
      }
    }
  }
  return cases;
}

/** A text body (a CSV file): the media type, emptiness, and hostile lines. */
function textBodyCases(op: Operation): Case[] {
  const path = pathOf(op, realIds);
  const header = 'order_id,kind,points,amount_minor\n';
  const at = (name: string, request: Omit<ApiRequest, 'method' | 'path'>, expect: Expectation) => ({
    name,
    op,
    request: { method: op.method, path, contentType: op.body?.mediaType, ...request },
    expect,
  });
  return [
    at(
      'JSON instead of the file',
      { body: '{}', contentType: 'application/json' },
      { status: 415 },
    ),
    at('text/plain', { body: header, contentType: 'text/plain' }, { status: 415 }),
    at('no Content-Type', { body: header, contentType: null }, { status: 415 }),
    at('an empty file', { body: '' }, { status: 400 }),
    at('a file that is not CSV', { body: '{"a": 1}' }, { status: 400 }),
    at(
      'a file without line breaks',
      { body: header + 'a'.repeat(100_000) },
      invalid('file.line.2', true),
    ),
    ...hostileTexts
      .filter(([name]) => name !== 'a lone surrogate')
      .map(([name, text]) =>
        at(
          `${name} in a line`,
          { body: `${header}${text},redemption,1,1\n` },
          invalid('file.line.2', true),
        ),
      ),
    at(
      'a huge number',
      { body: `${header}o-1,redemption,${'9'.repeat(40)},1\n` },
      invalid('file.line.2'),
    ),
  ];
}

/** Over the route's body limit: announced by Content-Length, and chunked without one. */
function oversizedCases(op: Operation): Case[] {
  const limit = bodyMaxBytesFor(op.path.replaceAll(/\{[^}]+\}/g, 'x'));
  const request = (body: LazyBody): ApiRequest => ({
    method: op.method,
    path: pathOf(op, realIds),
    body,
    contentType: op.body?.mediaType ?? 'application/json',
  });
  const tooLarge = { status: 413, type: 'payload_too_large' };
  const cases: Case[] = [
    {
      name: `${limit + 1} bytes announced`,
      op,
      request: request(lazy(limit + 1, true)),
      expect: tooLarge,
    },
  ];
  // Chunked bodies are read up to the limit before refusal: kept to the smaller limits here.
  if (op.body && limit <= 4 * 1024 * 1024) {
    cases.push({
      name: `${limit + 1} bytes chunked`,
      op,
      request: request(lazy(limit + 1, false)),
      expect: tooLarge,
    });
  }
  return cases;
}

/** Hostile values for each query and path parameter, and a stray query parameter. */
function parameterCases(op: Operation): Case[] {
  const cases: Case[] = [];
  // Each with a body of the route's shape, so that the parameter is the thing refused.
  const { body, contentType } = plausibleRequest(op, realIds);
  const send = (
    name: string,
    paths: Record<string, string>,
    query: Record<string, string>,
    field: string,
    exact = false,
  ): Case => ({
    name,
    op,
    request: {
      method: op.method,
      path: pathOf(op, { ...realIds, ...paths }, query),
      body,
      contentType,
    },
    expect: invalid(field, exact),
  });
  cases.push(send('NUL in a stray query parameter', {}, { stray: '%00' }, 'query.stray', true));
  const urlTexts: Array<[string, string]> = [
    ['NUL', 'a%00b'],
    ['a control character', 'a%1Bb'],
    ['a C1 control', 'a%C2%85b'],
  ];
  for (const p of op.parameters.filter((x) => x.in === 'query' || x.in === 'path')) {
    const field = `${p.in === 'query' ? 'query' : 'param'}.${p.name}`;
    const put = (name: string, value: string, exact = false) =>
      p.in === 'query'
        ? send(`${name} in ${field}`, {}, { [p.name]: value }, field, exact)
        : send(`${name} in ${field}`, { [p.name]: value }, {}, field, exact);
    for (const [name, text] of urlTexts) cases.push(put(name, text, true));
    cases.push(put('an overlong value', 'x'.repeat((p.schema.maxLength ?? 300) + 1)));
    const types = typesOf(p.schema);
    if (types.includes('integer') || types.includes('number')) {
      cases.push(put('not a number', 'abc'));
      for (const [name, n] of hostileNumbers) {
        if (!numberAllowed(p.schema, n))
          cases.push(put(`a ${name} number`, encodeURIComponent(String(n))));
      }
    }
  }
  return cases;
}

async function failureOf(c: Case): Promise<string | undefined> {
  const res = await sendAs(principals, allowedPrincipal(c.op), c.request);
  const text = await res.text();
  const said = `${operationName(c.op)}, ${c.name}: ${res.status} ${text.slice(0, 200)}`;
  if (res.status < 400 || res.status >= 500) return said;
  if (res.headers.get('content-type') !== 'application/problem+json')
    return `${said} (not problem+json)`;
  const problem = JSON.parse(text) as { type?: string; errors?: Array<{ field: string }> };
  if (c.expect.status !== undefined && res.status !== c.expect.status) return said;
  if (c.expect.type !== undefined && problem.type !== `/docs/problems#${c.expect.type}`)
    return said;
  const field = c.expect.field;
  if (field === undefined) return undefined;
  const fields = (problem.errors ?? []).map((e) => e.field);
  const named = c.expect.exactField
    ? fields.includes(field)
    : fields.some((f) => f === field || field.startsWith(`${f}.`) || f.startsWith(`${field}.`));
  return named ? undefined : `${said} (expected the field ${field})`;
}

async function expectAllRefused(cases: Case[]): Promise<void> {
  const db = hub.services.db;
  const before = await databaseDigest(db);
  const failures = await inBatches(cases, 8, failureOf);
  expect(failures.filter((f) => f !== undefined)).toEqual([]);
  expect(await databaseDigest(db)).toEqual(before);
  expect(await verifyLedger(db)).toEqual([]);
}

/** Where a request schema leaves a string, number or list without a bound. */
function unbounded(op: Operation): string[] {
  const where = (path: string[]) => `${operationName(op)} ${path.join('.') || '(body)'}`;
  const found: string[] = [];
  const visit = (schema: JsonSchema, path: string[]) => {
    const types = typesOf(schema);
    const bounded = schema.enum !== undefined || schema.const !== undefined;
    if (
      types.includes('string') &&
      !bounded &&
      schema.maxLength === undefined &&
      !schema.pattern &&
      !schema.format
    ) {
      found.push(`${where(path)}: a string without maxLength, pattern or format`);
    }
    if (
      (types.includes('integer') || types.includes('number')) &&
      schema.maximum === undefined &&
      schema.exclusiveMaximum === undefined
    ) {
      found.push(`${where(path)}: a number without maximum`);
    }
    if (types.includes('array') && schema.maxItems === undefined)
      found.push(`${where(path)}: a list without maxItems`);
    for (const [key, property] of Object.entries(schema.properties ?? {}))
      visit(property, [...path, key]);
    if (typeof schema.additionalProperties === 'object')
      visit(schema.additionalProperties, [...path, '*']);
    if (schema.items) visit(schema.items, [...path, '*']);
    for (const variant of [...(schema.oneOf ?? []), ...(schema.anyOf ?? [])]) visit(variant, path);
  };
  if (op.body?.mediaType.includes('json')) visit(op.body.schema, []);
  for (const p of op.parameters) visit(p.schema, [`${p.in}.${p.name}`]);
  return found;
}

describe('hostile input on every route of /openapi.json', () => {
  it('puts a limit on every string, number and list a request may carry', () => {
    expect(operations.flatMap(unbounded)).toEqual([]);
  });

  it('requires the body of every route that declares one (so it is always validated)', () => {
    const optional = operations.filter((op) => op.body && !op.body.required);
    expect(optional.map(operationName)).toEqual([]);
  });

  it('refuses broken, mistyped, empty and deeply nested bodies, naming the field', async () => {
    const cases = operations.flatMap((op) => {
      if (!op.body) return [];
      return op.body.mediaType.includes('json')
        ? jsonFieldCases(op, op.body.schema)
        : textBodyCases(op);
    });
    expect(cases.length).toBeGreaterThan(500);
    await expectAllRefused(cases);
  });

  it('refuses control characters and values out of range in query and path parameters', async () => {
    const cases = operations.flatMap(parameterCases);
    expect(cases.length).toBeGreaterThan(operations.length);
    await expectAllRefused(cases);
  });

  it('refuses a body over the route’s limit before reading it whole (413)', async () => {
    const cases = operations.filter((op) => op.method !== 'GET').flatMap(oversizedCases);
    await expectAllRefused(cases);
    for (const c of cases) {
      const body = c.request.body as LazyBody;
      const limit = bodyMaxBytesFor(c.op.path.replaceAll(/\{[^}]+\}/g, 'x'));
      // Announced: not read at all (a stream may have one piece queued). Chunked: read up to the
      // limit and one piece more at most, then refused.
      const readAtMost = body.declareLength ? lazyPieceBytes : limit + lazyPieceBytes;
      expect(body.pulled, `${operationName(c.op)}, ${c.name}`).toBeLessThanOrEqual(readAtMost);
    }
  });

  it('over HTTP, answers a chunked upload past the limit with 413 and stops reading it', async () => {
    const gateway = await startGateway(hub.services);
    try {
      const sentBytesMax = 64 * 1024 * 1024;
      const outcome = await uploadUntilRefused(
        `${gateway.url}/v1/member/sign-in/code`,
        sentBytesMax,
      );
      expect(outcome.status).toBe(413);
      // The hub stopped reading: the client could not push the whole body through.
      expect(outcome.writtenBytes).toBeLessThan(sentBytesMax);
    } finally {
      await gateway.stop();
    }
  });
});

/**
 * Streams `totalBytes` in chunks (no Content-Length) until the server answers and hangs up,
 * or the client has written it all; resolves with the status and how much was written.
 */
function uploadUntilRefused(
  url: string,
  totalBytes: number,
): Promise<{ status: number; writtenBytes: number }> {
  return new Promise((resolve, reject) => {
    const piece = Buffer.alloc(64 * 1024, 0x61);
    let writtenBytes = 0;
    let status = 0;
    const req = http.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    const pump = () => {
      while (writtenBytes < totalBytes && !req.destroyed) {
        writtenBytes += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      if (writtenBytes >= totalBytes) req.end();
    };
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      res.resume();
    });
    // The server closing mid-upload shows as a write error; either way the outcome is known.
    req.on('close', () =>
      status === 0 ? reject(new Error('no answer')) : resolve({ status, writtenBytes }),
    );
    req.on('error', () => {});
    pump();
  });
}
