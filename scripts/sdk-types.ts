/**
 * npm run sdk:types: writes sdk/openapi-types.ts, the SDK's types of every partner route,
 * generated from the hub's own /openapi.json. tests/integration/sdk.test.ts generates it again
 * and fails when the file is stale, so a changed route cannot ship with the SDK's old types.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Schema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  nullable?: boolean;
};

type Operation = {
  parameters?: { name: string; in: string; required?: boolean; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
};

export type OpenApiDocument = {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
};

const key = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : `'${name}'`);

function typeOf(s: Schema | undefined): string {
  if (!s || Object.keys(s).length === 0) return 'unknown';
  if (s.$ref) return `Schemas['${s.$ref.split('/').pop()}']`;
  if (s.allOf) return s.allOf.map(typeOf).join(' & ');
  const union = s.anyOf ?? s.oneOf;
  if (union) return union.map((u) => `(${typeOf(u)})`).join(' | ');
  if (s.enum) return s.enum.map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(' | ');
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  const one = types.map((t) => simple(t, s));
  if (s.nullable) one.push('null');
  return one.length > 0 ? one.join(' | ') : objectType(s);
}

function simple(type: string, s: Schema): string {
  if (type === 'integer' || type === 'number') return 'number';
  if (type === 'string' || type === 'boolean' || type === 'null') return type;
  if (type === 'array') return `Array<${typeOf(s.items)}>`;
  return objectType(s);
}

function objectType(s: Schema): string {
  const required = new Set(s.required ?? []);
  const fields = Object.entries(s.properties ?? {}).map(
    ([name, p]) => `${key(name)}${required.has(name) ? '' : '?'}: ${typeOf(p)}`,
  );
  const extra = s.additionalProperties;
  if (fields.length === 0) {
    return extra && typeof extra === 'object' && Object.keys(extra).length > 0
      ? `Record<string, ${typeOf(extra)}>`
      : 'Record<string, unknown>';
  }
  return `{ ${fields.join('; ')} }`;
}

function params(op: Operation, where: string): string {
  const list = (op.parameters ?? []).filter((p) => p.in === where);
  if (list.length === 0) return 'never';
  return `{ ${list.map((p) => `${key(p.name)}${p.required ? '' : '?'}: ${typeOf(p.schema)}`).join('; ')} }`;
}

function route(op: Operation): string {
  const body = op.requestBody?.content;
  const json = body?.['application/json']?.schema;
  const request = json ? typeOf(json) : body ? 'string' : 'never';
  const ok = Object.entries(op.responses).find(([status]) => status.startsWith('2'));
  const answer = ok?.[1].content?.['application/json']?.schema;
  return `{ path: ${params(op, 'path')}; query: ${params(op, 'query')}; body: ${request}; response: ${answer ? typeOf(answer) : 'null'} }`;
}

/** The file's text: the component schemas and one entry per partner route. */
export function renderSdkTypes(doc: OpenApiDocument): string {
  const schemas = Object.entries(doc.components?.schemas ?? {}).map(
    ([name, s]) => `  ${key(name)}: ${typeOf(s)};`,
  );
  const routes: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    if (!path.startsWith('/v1/partner/')) continue;
    for (const [method, op] of Object.entries(ops))
      routes.push(`  '${method.toUpperCase()} ${path}': ${route(op)};`);
  }
  return [
    '// Generated from /openapi.json by scripts/sdk-types.ts (npm run sdk:types): do not edit.',
    '',
    'export interface Schemas {',
    ...schemas,
    '}',
    '',
    '/** Every partner route: path and query parameters, request body, success answer. */',
    'export interface PartnerRoutes {',
    ...routes,
    '}',
    '',
  ].join('\n');
}

/** Compares two renderings as code, whatever the formatter did to line breaks and commas. */
export function sameTypes(a: string, b: string): boolean {
  const norm = (s: string) =>
    s
      .replace(/\/\/.*$/gm, '')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\s+/g, '')
      // Grouping parentheses are the formatter's to drop where precedence makes them useless.
      .replace(/[()]/g, '')
      .replace(/([=:<,{])\|/g, '$1')
      .replace(/[;,](?=[}>)\]])/g, '')
      .replace(/"/g, "'");
  return norm(a) === norm(b);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { createApp } = await import('../gateway/index.ts');
  const { loadConfig, openServices } = await import('../platform/index.ts');
  const services = await openServices(loadConfig({ ...process.env, LOG_LEVEL: 'silent' }));
  try {
    const doc = (await (
      await createApp(services).request('/openapi.json')
    ).json()) as OpenApiDocument;
    const file = fileURLToPath(new URL('../sdk/openapi-types.ts', import.meta.url));
    writeFileSync(file, renderSdkTypes(doc));
    console.log(`sdk-types: wrote ${file}`);
  } finally {
    await services.close();
  }
}
