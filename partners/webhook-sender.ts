import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import type { AttemptResult } from './webhook-deliveries.ts';

/**
 * One HTTP POST of a webhook: no redirects followed, a deadline for the whole exchange, at
 * most a few KiB of the answer read. Unless the operator allows it (a test or demo hub), the
 * endpoint's host must resolve to public addresses only, checked on the address actually
 * connected to, so that a partner cannot point the hub at its own network (Redis, PostgreSQL,
 * a cloud metadata service), nor switch a name to such an address after registering it.
 */

const answerBytesMax = 4096;

const privateRanges = (() => {
  const list = new BlockList();
  for (const [net, prefix] of [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['224.0.0.0', 3],
  ] as const) {
    list.addSubnet(net, prefix, 'ipv4');
  }
  for (const [net, prefix] of [
    ['::', 128],
    ['::1', 128],
    ['fc00::', 7],
    ['fe80::', 10],
    ['ff00::', 8],
  ] as const) {
    list.addSubnet(net, prefix, 'ipv6');
  }
  return list;
})();

export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped !== undefined) return isPrivateAddress(mapped);
  const family = isIP(address);
  if (family === 0) return true;
  return privateRanges.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

class PrivateAddressError extends Error {
  override name = 'PrivateAddressError';
}

/** dns.lookup, refusing any answer that holds a private address. */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    const refused = addresses.find((a) => isPrivateAddress(a.address));
    if (refused || addresses.length === 0) {
      return callback(new PrivateAddressError(`${hostname} resolves to a private address`), '', 0);
    }
    if (options.all) return callback(null, addresses);
    const first = addresses[0] as LookupAddress;
    return callback(null, first.address, first.family);
  });
};

export type WebhookPost = {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  allowPrivate: boolean;
  signal?: AbortSignal;
};

export async function postWebhook(post: WebhookPost): Promise<AttemptResult> {
  const startedAt = new Date();
  const began = performance.now();
  const done = (statusCode: number | null, error: string | null): AttemptResult => ({
    startedAt,
    durationMs: performance.now() - began,
    statusCode,
    error,
  });
  const url = new URL(post.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!post.allowPrivate && isIP(host) !== 0 && isPrivateAddress(host)) {
    return done(null, `${host} is a private address`);
  }
  try {
    return done(await send(url, post), null);
  } catch (error) {
    return done(null, error instanceof Error ? error.message : String(error));
  }
}

function send(url: URL, post: WebhookPost): Promise<number> {
  const signals = [AbortSignal.timeout(post.timeoutMs), ...(post.signal ? [post.signal] : [])];
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { ...post.headers, 'content-length': String(Buffer.byteLength(post.body)) },
        signal: AbortSignal.any(signals),
        lookup: post.allowPrivate ? undefined : publicOnlyLookup,
      },
      (res) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          // The answer's content is not used; past a few KiB the connection is dropped.
          if (read > answerBytesMax) res.destroy();
        });
        res.on('close', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (error) =>
      reject(
        error.name === 'AbortError' ? new Error(`no answer within ${post.timeoutMs} ms`) : error,
      ),
    );
    req.end(post.body);
  });
}
