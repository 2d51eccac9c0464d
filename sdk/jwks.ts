import type { JSONWebKeySet } from 'jose';

/**
 * The hub's public keys (GET /.well-known/jwks.json), fetched once and kept; fetched again
 * when asked for a key it does not hold (the hub rotated its key), at most once every
 * refreshMinMs so that a flood of forged kids cannot make it fetch without end.
 */
export type JwksCache = {
  /** The set holding `kid` if the hub has it (refreshing once if needed), else the latest set. */
  forKid(kid: string | undefined): Promise<JSONWebKeySet>;
};

export function createJwksCache(options: {
  hubUrl: string;
  fetch?: typeof fetch;
  refreshMinMs?: number;
}): JwksCache {
  const send = options.fetch ?? fetch;
  const url = `${options.hubUrl.replace(/\/$/, '')}/.well-known/jwks.json`;
  const refreshMinMs = options.refreshMinMs ?? 10_000;
  let cached: Promise<JSONWebKeySet> | undefined;
  let fetchedAt = 0;
  const load = () => {
    fetchedAt = Date.now();
    cached = (async () => {
      const res = await send(url);
      if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
      return (await res.json()) as JSONWebKeySet;
    })();
    // A failed fetch is not kept: the next call tries again.
    cached.catch(() => {
      cached = undefined;
    });
    return cached;
  };
  const has = (set: JSONWebKeySet, kid: string | undefined) =>
    kid === undefined || set.keys.some((k) => k.kid === kid);
  return {
    forKid: async (kid) => {
      const set = await (cached ?? load());
      if (has(set, kid) || Date.now() - fetchedAt < refreshMinMs) return set;
      return load();
    },
  };
}

/** The `kid` of a compact JWS's protected header, if it names one. */
export function kidOf(jws: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString('utf8'));
    return typeof header?.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}
