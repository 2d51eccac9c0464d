import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isPrivateAddress, postWebhook, retryDelayMs } from '../../partners/index.ts';

describe('webhook addresses', () => {
  it('tells private and special addresses from public ones', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '0.0.0.0',
      '100.64.0.1',
    ])
      expect(isPrivateAddress(a), a).toBe(true);
    for (const a of ['8.8.8.8', '203.0.113.7', '2001:db8::1', '::ffff:8.8.8.8'])
      expect(isPrivateAddress(a), a).toBe(false);
  });

  it('posts nothing to a loopback endpoint unless private addresses are allowed', async () => {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits += 1;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const post = { body: '{}', headers: {}, timeoutMs: 2000 };
      for (const url of [`http://127.0.0.1:${port}/x`, `http://localhost:${port}/x`]) {
        const refused = await postWebhook({ ...post, url, allowPrivate: false });
        expect(refused.statusCode, url).toBeNull();
        expect(refused.error).toMatch(/private address/);
      }
      expect(hits).toBe(0);
      const allowed = await postWebhook({
        ...post,
        url: `http://localhost:${port}/x`,
        allowPrivate: true,
      });
      expect(allowed).toMatchObject({ statusCode: 200, error: null });
      expect(hits).toBe(1);
    } finally {
      server.close();
    }
  });
});

describe('webhook retry delays', () => {
  it('double from the base, at most an hour, less at most half at random', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 10_000, 0))).toEqual([
      10_000, 20_000, 40_000, 80_000,
    ]);
    expect(retryDelayMs(2, 10_000, 1)).toBe(10_000);
    expect(retryDelayMs(40, 10_000, 0)).toBe(3_600_000);
  });
});
