import { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { AppError, forbiddenCharAt, textRule } from '../platform/index.ts';
import type { HubEnv } from './context.ts';

/**
 * How many bytes of request body the hub reads, by path; the first match wins. The limit is
 * applied to every request before anything else runs: a declared Content-Length over it is
 * refused at once, and a body without one (chunked) is counted as it is read and refused the
 * moment it passes the limit, so no request is ever read whole when it is too large.
 */
export const bodyLimits: ReadonlyArray<{
  path: RegExp;
  where: string;
  maxBytes: number;
  why: string;
}> = [
  {
    path: /^\/v1\/finance\/periods\/[^/]+\/reconciliations\/[^/]+$/,
    where: 'a reconciliation file sent by finance',
    maxBytes: 256 * 1024 * 1024,
    why: 'streamed line by line, never held whole; the file may hold millions of lines',
  },
  {
    path: /^\/v1\/finance\//,
    where: 'other finance calls',
    maxBytes: 4 * 1024 * 1024,
    why: 'a payment reference for every partner of a period',
  },
  {
    path: /^\/portal\/reconcile\/[^/]+$/,
    where: 'a reconciliation file uploaded in the partner portal',
    maxBytes: 8 * 1024 * 1024,
    why: 'a browser form posts the file whole; larger files go through the signed API',
  },
  {
    path: /^\/v1\/partner\//,
    where: 'signed partner calls',
    maxBytes: 1024 * 1024,
    why: 'read whole to check their digest; a batch of 500 accruals fits well below',
  },
];

/** Everything else: admin and member JSON, sign-in. */
export const bodyMaxBytesDefault = 64 * 1024;

function inWords(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${bytes / 1024} KiB`;
}

/** The limits as /docs/problems states them. */
export function bodyLimitsInWords(): string {
  const limits = bodyLimits.map((limit) => `${inWords(limit.maxBytes)} for ${limit.where}`);
  return [...limits, `${inWords(bodyMaxBytesDefault)} for everything else`].join(', ');
}

export function bodyMaxBytesFor(path: string): number {
  return bodyLimits.find((limit) => limit.path.test(path))?.maxBytes ?? bodyMaxBytesDefault;
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('payload_too_large', `Request bodies here are limited to ${maxBytes} bytes.`);
}

/** Passes the body through, failing the read (with a 413) once it has passed maxBytes. */
function countingStream(maxBytes: number): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > maxBytes) controller.error(tooLarge(maxBytes));
      else controller.enqueue(chunk);
    },
  });
}

/**
 * The body limit of every route (see bodyLimits). With a Content-Length the HTTP server
 * delivers exactly that many bytes, so checking the header is enough; otherwise the body is
 * counted as whoever reads it reads it.
 */
export const limitBody: MiddlewareHandler<HubEnv> = async (c, next) => {
  // Decided from the headers alone: touching raw.body would make the node server build a web
  // Request and its stream for every request, where reading the body directly is far cheaper.
  if (!hasBody(c)) return next();
  const maxBytes = bodyMaxBytesFor(c.req.path);
  const declared = c.req.header('content-length');
  if (declared !== undefined && /^\d+$/.test(declared) && !isChunked(c)) {
    if (Number(declared) > maxBytes) throw tooLarge(maxBytes);
    return next();
  }
  const raw = c.req.raw;
  if (!raw.body) return next();
  c.req.raw = new Request(raw, {
    body: raw.body.pipeThrough(countingStream(maxBytes)),
    duplex: 'half',
  });
  return next();
};

function isChunked(c: Context): boolean {
  return c.req.header('transfer-encoding') !== undefined;
}

/**
 * Whether the request carries a body. From the node server HTTP/1.1 says so with
 * Content-Length or chunking; a Request made in process (app.request) is asked directly.
 */
export function hasBody(c: Context): boolean {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  if (!(incoming instanceof IncomingMessage)) return c.req.raw.body !== null;
  const declared = c.req.header('content-length');
  return isChunked(c) || (declared !== undefined && declared !== '0');
}

const utf8 = new TextDecoder();

/**
 * The body as text, read once: from the bytes a layer before already read (the signature
 * check digests them), without building a web Response around them as Hono's own text()
 * would; later text() and json() calls find it cached.
 */
export async function bodyText(c: Context): Promise<string> {
  // Hono keeps promises in bodyCache, though its type names the values.
  const cache = c.req.bodyCache as { text?: Promise<string>; arrayBuffer?: Promise<ArrayBuffer> };
  if (cache.text) return cache.text;
  const text = cache.arrayBuffer
    ? cache.arrayBuffer.then((bytes) => utf8.decode(bytes))
    : c.req.text();
  cache.text = text;
  return text;
}

/** The line number (from 1) of position `index` of `text`, given the lines before it. */
function lineAt(text: string, index: number, linesBefore: number): number {
  let line = linesBefore + 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line += 1;
  return line;
}

/**
 * A text request body (an uploaded CSV file) as decoded chunks, each checked against the rule
 * every input follows (textRule, platform/storable.ts). Invalid UTF-8 decodes to U+FFFD, so only control
 * characters need finding here; the offending line is named as `file.line.<n>`.
 */
export async function* textChunks(body: ReadableStream<Uint8Array> | null): AsyncGenerator<string> {
  if (!body) return;
  let lines = 0;
  for await (const chunk of body.pipeThrough(new TextDecoderStream())) {
    const bad = forbiddenCharAt(chunk);
    if (bad !== -1) {
      const line = lineAt(chunk, bad, lines);
      throw new AppError('validation_failed', `Line ${line} of the file is not valid.`, {
        fields: [{ field: `file.line.${line}`, reason: textRule }],
      });
    }
    for (let i = chunk.indexOf('\n'); i !== -1; i = chunk.indexOf('\n', i + 1)) lines += 1;
    yield chunk;
  }
}

/** The body the request carries, as a stream of its bytes (read already or not). */
export async function bodyBytes(c: Context): Promise<ReadableStream<Uint8Array> | null> {
  if (!c.req.raw.bodyUsed) return c.req.raw.body;
  return new Blob([await c.req.arrayBuffer()]).stream();
}
