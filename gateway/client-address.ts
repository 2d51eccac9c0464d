import { isIP } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { HubEnv } from './context.ts';

/**
 * Who is calling, as far as limits before authentication are concerned: the address an
 * attacker controls least. That is the socket's peer, unless the operator says that
 * TRUST_PROXY_HOPS reverse proxies stand in front of the hub: then it is the address the
 * farthest of them saw, read from the right of X-Forwarded-For (each proxy appends the peer it
 * saw; whatever the client wrote itself stays on the left and is ignored). A request that did
 * not pass every proxy counts against its peer.
 *
 * A request with no socket (Hono's app.request, as tests call the app) counts against one
 * shared bucket, `unknown`: limited like any single client, never left unlimited.
 */
export const unknownClient = 'unknown';

export function clientAddress<E extends HubEnv>(c: Context<E>): string {
  const peer = socketAddress(c);
  const hops = c.get('services').config.trustProxyHops;
  const address = hops > 0 ? (forwardedBy(c.req.header('x-forwarded-for'), hops) ?? peer) : peer;
  return address === undefined ? unknownClient : addressBucket(address);
}

/** The socket's peer, or undefined for a request without a socket (app.request in tests). */
export function socketAddress<E extends HubEnv>(c: Context<E>): string | undefined {
  const env: unknown = c.env;
  // The node server's bindings carry the socket; app.request passes none.
  if (typeof env !== 'object' || env === null || !('incoming' in env || 'server' in env)) {
    return undefined;
  }
  return getConnInfo(c).remote.address;
}

function forwardedBy(header: string | undefined, hops: number): string | undefined {
  const entries = (header ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  const address = entries[entries.length - hops];
  return address !== undefined && isIP(address) !== 0 ? address : undefined;
}

/**
 * The bucket an address counts in: an IPv4 address itself (also when written IPv4-mapped), an
 * IPv6 address by its /64, the block one subscriber usually holds whole.
 */
export function addressBucket(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped !== undefined) return mapped;
  if (isIP(address) === 4) return address;
  if (isIP(address) !== 6) return unknownClient;
  return `${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
}

/** The eight groups of an IPv6 address, "::" expanded and a trailing dotted quad as two. */
function ipv6Groups(address: string): string[] {
  const withoutZone = address.split('%')[0] ?? '';
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(withoutZone);
  const hex = quad
    ? withoutZone.slice(0, quad.index) +
      [0, 2].map((i) => ((Number(quad[i + 1]) << 8) | Number(quad[i + 2])).toString(16)).join(':')
    : withoutZone;
  const [head = '', tail] = hex.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => Number.parseInt(group, 16).toString(16));
}
