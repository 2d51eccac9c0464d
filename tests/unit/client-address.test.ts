import { describe, expect, it } from 'vitest';
import { addressBucket } from '../../gateway/index.ts';

describe('the bucket a client address counts in', () => {
  it('is an IPv4 address itself, also when the socket writes it IPv4-mapped', () => {
    expect(addressBucket('203.0.113.7')).toBe('203.0.113.7');
    expect(addressBucket('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('is the /64 of an IPv6 address, however it is written', () => {
    const bucket = '2001:db8:aa:1::/64';
    expect(addressBucket('2001:db8:aa:1::1')).toBe(bucket);
    expect(addressBucket('2001:0db8:00aa:0001:ffff:1:2:3')).toBe(bucket);
    expect(addressBucket('2001:DB8:AA:1:0:0:0:9')).toBe(bucket);
    expect(addressBucket('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressBucket('2001:db8::5:1.2.3.4')).toBe('2001:db8:0:0::/64');
    expect(addressBucket('2001:db8:aa:2::1')).not.toBe(bucket);
  });

  it('is the shared unknown bucket for anything that is not an address', () => {
    expect(addressBucket('')).toBe('unknown');
    expect(addressBucket('not-an-ip')).toBe('unknown');
  });
});
