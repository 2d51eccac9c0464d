import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../platform/index.ts';

const valid = {
  DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
  REDIS_URL: 'redis://127.0.0.1:6379',
};

describe('config', () => {
  it('applies defaults to a minimal environment', () => {
    const config = loadConfig(valid);
    expect(config.port).toBe(3000);
    expect(config.redisKeyPrefix).toBe('hub');
    expect(config.publicUrl).toBe('http://127.0.0.1:3000');
    expect(config.trustProxyHops).toBe(0);
  });

  it('trusts X-Forwarded-For only as far as the operator says proxies write it', () => {
    expect(loadConfig({ ...valid, TRUST_PROXY_HOPS: '2' }).trustProxyHops).toBe(2);
    expect(() => loadConfig({ ...valid, TRUST_PROXY_HOPS: 'yes' })).toThrow(/TRUST_PROXY_HOPS/);
  });

  it('names the field that is wrong, in one line', () => {
    expect(() => loadConfig({ ...valid, DATABASE_URL: 'mysql://x' })).toThrow(
      'invalid configuration: DATABASE_URL must be a postgres:// URL',
    );
    expect(() => loadConfig({ REDIS_URL: valid.REDIS_URL })).toThrow(/DATABASE_URL is not set/);
    expect(() => loadConfig({ ...valid, PORT: 'eighty' })).toThrow(/^invalid configuration: PORT /);
  });

  it('allows demo mode only on loopback, refusing it elsewhere in one line', () => {
    expect(loadConfig(valid).demo).toBe(false);
    expect(loadConfig({ ...valid, HUB_DEMO: '1' }).demo).toBe(true);
    expect(loadConfig({ ...valid, HUB_DEMO: '1', HOST: '::1' }).demo).toBe(true);
    expect(() => loadConfig({ ...valid, HUB_DEMO: '1', HOST: '0.0.0.0' })).toThrow(
      'invalid configuration: HUB_DEMO needs HOST on loopback (127.0.0.1, ::1 or localhost), not 0.0.0.0: demo mode shows every sign-in code',
    );
    expect(() => loadConfig({ ...valid, HUB_DEMO: 'yes' })).toThrow(
      'invalid configuration: HUB_DEMO must be 0 or 1',
    );
  });

  it('throws a ConfigError, which start-up prints without a stack trace', () => {
    try {
      loadConfig({});
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect(String((error as Error).message)).not.toContain('\n');
    }
  });
});
