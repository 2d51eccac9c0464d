/**
 * k6/http for the local runner: `asyncRequest` (k6's promise-based request) over Node's HTTP
 * client with keep-alive connections, recording the metrics k6 records (http_reqs,
 * http_req_duration, http_req_failed, data sent and received) with k6's tags. k6's blocking
 * calls (`http.get`, `http.post`) cannot block here, where virtual users share one thread:
 * they throw, naming the call to use instead.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import { hardStop, httpAgent, iterationTags, journal, metrics } from '../run-state.ts';

type Params = {
  headers?: Record<string, string>;
  tags?: Record<string, string>;
  /** Milliseconds, or a duration such as '30s'; k6's default is 60 s. */
  timeout?: number | string;
};

type Body = string | null | undefined | Record<string, string>;

export type Response = {
  status: number;
  status_text: string;
  body: string;
  headers: Record<string, string>;
  url: string;
  error: string;
  error_code: number;
  proto: string;
  timings: { duration: number; waiting: number; sending: number; receiving: number };
  request: { method: string; url: string; body: string; headers: Record<string, string[]> };
  json(selector?: string): unknown;
};

/** Go's canonical header name, as k6 shows headers: hub-receipt -> Hub-Receipt. */
function canonicalName(name: string): string {
  return name
    .split('-')
    .map((w) => (w ? w[0]?.toUpperCase() + w.slice(1).toLowerCase() : w))
    .join('-');
}

function timeoutMs(timeout: Params['timeout']): number {
  if (timeout === undefined) return 60_000;
  if (typeof timeout === 'number') return timeout;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(timeout);
  if (!match) throw new Error(`timeout "${timeout}" is not a number of ms or a duration`);
  return Number(match[1]) * (match[2] === 'ms' ? 1 : match[2] === 's' ? 1000 : 60_000);
}

/** A gjson-style path, the part scripts use: `a.b`, `items.0.id`, `items.#` (length). */
function select(value: unknown, selector: string): unknown {
  let at: unknown = value;
  for (const part of selector.split('.')) {
    if (at === null || typeof at !== 'object') return undefined;
    if (part === '#' && Array.isArray(at)) at = at.length;
    else at = (at as Record<string, unknown>)[part];
  }
  return at;
}

function encodeBody(body: Body): string {
  if (body === null || body === undefined) return '';
  if (typeof body === 'string') return body;
  return new URLSearchParams(body).toString();
}

type Raw = {
  status: number;
  statusText: string;
  headers: IncomingMessage['headers'];
  body: string;
};

function send(
  method: string,
  url: URL,
  body: string,
  headers: Record<string, string>,
  timeout: number,
): Promise<Raw> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        agent: url.protocol === 'https:' ? undefined : httpAgent,
        signal: AbortSignal.any([hardStop.signal, AbortSignal.timeout(timeout)]),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            statusText: `${res.statusCode} ${res.statusMessage ?? ''}`.trim(),
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function record(method: string, url: URL, params: Params, raw: Raw, bytes: number, ms: number) {
  const expected = raw.status >= 200 && raw.status < 400;
  const tags = {
    ...iterationTags(),
    method,
    name: params.tags?.name ?? url.toString(),
    status: String(raw.status),
    expected_response: String(expected),
    ...params.tags,
  };
  metrics.add('http_reqs', 1, tags);
  metrics.add('http_req_duration', ms, tags);
  metrics.add('http_req_waiting', ms, tags);
  metrics.add('http_req_failed', expected ? 0 : 1, tags);
  metrics.add('data_sent', bytes, tags);
  metrics.add('data_received', Buffer.byteLength(raw.body), tags);
}

export async function asyncRequest(
  method: string,
  url: string,
  body?: Body,
  params: Params = {},
): Promise<Response> {
  const target = new URL(url);
  const text = encodeBody(body);
  const headers = params.headers ?? {};
  const started = performance.now();
  let raw: Raw;
  let error = '';
  try {
    raw = await send(method.toUpperCase(), target, text, headers, timeoutMs(params.timeout));
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
    raw = { status: 0, statusText: '', headers: {}, body: '' };
  }
  const ms = performance.now() - started;
  const upper = method.toUpperCase();
  record(upper, target, params, raw, Buffer.byteLength(text), ms);
  if (upper === 'POST' && target.pathname.startsWith('/v1/partner/'))
    journal.push({
      method: upper,
      path: target.pathname,
      requestBody: text,
      status: raw.status,
      responseBody: raw.body,
    });
  return response(upper, target, text, headers, raw, error, ms);
}

function response(
  method: string,
  url: URL,
  body: string,
  headers: Record<string, string>,
  raw: Raw,
  error: string,
  ms: number,
): Response {
  const responseHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw.headers))
    if (value !== undefined)
      responseHeaders[canonicalName(name)] = Array.isArray(value) ? value.join(', ') : value;
  return {
    status: raw.status,
    status_text: raw.statusText,
    body: raw.body,
    headers: responseHeaders,
    url: url.toString(),
    error,
    error_code: error ? 1000 : 0,
    proto: 'HTTP/1.1',
    timings: { duration: ms, waiting: ms, sending: 0, receiving: 0 },
    request: {
      method,
      url: url.toString(),
      body,
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [canonicalName(k), [v]])),
    },
    json: (selector) => {
      const parsed: unknown = JSON.parse(raw.body);
      return selector === undefined ? parsed : select(parsed, selector);
    },
  };
}

function blocking(name: string): () => never {
  return () => {
    throw new Error(
      `http.${name}() blocks a VU in k6; the local runner runs VUs on one thread: use await http.asyncRequest()`,
    );
  };
}

export const get = blocking('get');
export const post = blocking('post');
export const put = blocking('put');
export const del = blocking('del');
export const request = blocking('request');
export const batch = blocking('batch');

export default { asyncRequest, get, post, put, del, request, batch };
