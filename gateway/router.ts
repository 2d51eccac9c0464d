import { OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import type { Context, Env, MiddlewareHandler } from 'hono';
import type { ZodType } from 'zod';
import { AppError, type FieldProblem } from '../platform/index.ts';
import { bodyText, hasBody } from './body.ts';
import { jsonProblems, parameterProblems } from './input.ts';
import { fieldsFromZod } from './problem.ts';

/**
 * Every router of the hub is made here, so that every route it registers passes one gate
 * between authentication (the routers' own middleware, which runs first) and the route's zod
 * validation:
 * - path and query parameters, and every string and key of a JSON body, follow the text rule
 *   of gateway/input.ts, and a JSON body is at most jsonDepthMax deep;
 * - a body comes with a media type the route declares (else 415), a JSON body parses (else
 *   400 naming `(body)`), and an empty body is refused with the fields it lacks;
 * - a declared body is required, so @hono/zod-openapi always validates it (an optional one is
 *   replaced by `{}` when the request has no Content-Type, and the handler would run on it).
 * Each refusal is thrown as an AppError, so the request never reaches the handler, and layers
 * around it (idempotency) see a refusal of input, not an answer of the use case.
 */
export function hubRouter<E extends Env>(): OpenAPIHono<E> {
  const router = new OpenAPIHono<E>();
  const register = router.openapi;
  router.openapi = (route, handler, hook) => register(gated(route), handler, hook);
  return router;
}

function gated<R extends RouteConfig>(route: R): R {
  const own = route.middleware ?? [];
  const body = route.request?.body;
  return {
    ...route,
    request: body ? { ...route.request, body: { ...body, required: true } } : route.request,
    middleware: [inputGate(route), ...(Array.isArray(own) ? own : [own])],
  };
}

function invalid(fields: FieldProblem[], detail = 'Some fields are not valid.'): AppError {
  return new AppError('validation_failed', detail, { fields });
}

function inputGate(route: RouteConfig): MiddlewareHandler {
  const content = route.request?.body?.content ?? {};
  const declared = Object.keys(content);
  const jsonType = declared.find(isJsonMediaType);
  const media = jsonType === undefined ? undefined : content[jsonType];
  const json =
    media === undefined ? undefined : { schema: 'schema' in media ? media.schema : undefined };
  return async (c, next) => {
    const problems = [
      ...parameterProblems('param', c.req.param()),
      ...parameterProblems('query', c.req.queries()),
    ];
    if (problems.length > 0) throw invalid(problems);
    if (declared.length > 0) await checkBody(c, declared, json);
    await next();
  };
}

function isJsonMediaType(mediaType: string): boolean {
  return /^application\/([\w.-]+\+)?json$/i.test(mediaType);
}

function mediaTypeOf(c: Context): string | undefined {
  const header = c.req.header('content-type');
  return header === undefined ? undefined : (header.split(';')[0] ?? '').trim().toLowerCase();
}

function unsupported(declared: string[]): AppError {
  return new AppError(
    'unsupported_media_type',
    `This endpoint takes a body of type ${declared.join(' or ')}, with that Content-Type.`,
  );
}

/** Whether the request has no body at all, known without reading it. */
function plainlyEmpty(c: Context): boolean {
  return !hasBody(c);
}

async function checkBody(
  c: Context,
  declared: string[],
  json: { schema: unknown } | undefined,
): Promise<void> {
  const mediaType = mediaTypeOf(c);
  if (mediaType !== undefined && !declared.includes(mediaType) && !isJsonBody(mediaType, declared))
    throw unsupported(declared);
  // Bodies of other types (CSV files) are streamed by their handler, which checks their text.
  if (json === undefined) {
    if (mediaType === undefined && !plainlyEmpty(c)) throw unsupported(declared);
    return;
  }
  const text = await bodyText(c);
  if (text.trim() === '') throw emptyBody(json.schema);
  if (mediaType === undefined) throw unsupported(declared);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'not valid JSON';
    throw invalid([{ field: '(body)', reason }], 'The body is not valid JSON.');
  }
  const problems = jsonProblems(parsed);
  if (problems.length > 0) throw invalid(problems);
}

function isJsonBody(mediaType: string, declared: string[]): boolean {
  return isJsonMediaType(mediaType) && declared.some(isJsonMediaType);
}

/** An empty body where one is required: the fields it lacks, as validating `{}` names them. */
function emptyBody(schema: unknown): AppError {
  const result = isZodType(schema) ? schema.safeParse({}) : undefined;
  const fields =
    result && !result.success
      ? fieldsFromZod(result.error, 'json')
      : [{ field: '(body)', reason: 'a JSON body is required' }];
  return invalid(fields, 'The body is empty; this endpoint needs one.');
}

function isZodType(value: unknown): value is ZodType {
  return typeof value === 'object' && value !== null && 'safeParse' in value;
}
