import { randomInt } from 'node:crypto';
import { isIPv6 } from 'node:net';

/**
 * The bindings the node server hands the app for one connection, reduced to what the gateway
 * reads (the socket's peer). Hono's app.request takes them as its third argument, so a test
 * can say which client address a request comes from; without them every request shares the
 * gateway's `unknown` bucket.
 */
export function fromAddress(address: string) {
  return {
    incoming: {
      socket: {
        remoteAddress: address,
        remotePort: 40_000,
        remoteFamily: isIPv6(address) ? 'IPv6' : 'IPv4',
      },
    },
  };
}

/** A fresh address in 198.18.0.0/15 (reserved for tests, never routed). */
export function someAddress(): string {
  return `198.${18 + randomInt(2)}.${randomInt(256)}.${randomInt(1, 255)}`;
}
