import { newIdempotencyKey } from './hub-client.ts';
import { type PartnerSigningKey, signPartnerRequest } from './signing.ts';

/**
 * A minimal client for the partner API: signs every call, and gives every POST an
 * Idempotency-Key. To retry a POST whose answer was lost, call it again with the same key:
 * the request is signed afresh (new nonce and timestamp) and the hub answers with the first
 * answer.
 */

export type PartnerClient = {
  get(pathWithQuery: string): Promise<Response>;
  post(pathWithQuery: string, body: unknown, idempotencyKey?: string): Promise<Response>;
};

export function createPartnerClient(options: {
  baseUrl: string;
  key: PartnerSigningKey;
  /** Defaults to the global fetch; tests may pass their own. */
  fetch?: (url: string, init: RequestInit) => Promise<Response> | Response;
  /** Unix seconds; defaults to the machine's clock. */
  now?: () => number;
}): PartnerClient {
  const send = options.fetch ?? fetch;
  const base = options.baseUrl.replace(/\/$/, '');
  const call = async (method: 'GET' | 'POST', path: string, body?: string, key?: string) => {
    const headers = await signPartnerRequest(options.key, {
      method,
      pathWithQuery: path,
      body: body ?? '',
      idempotencyKey: key,
      timestamp: options.now?.(),
    });
    if (body !== undefined) headers['content-type'] = 'application/json';
    return send(`${base}${path}`, { method, headers, body });
  };
  return {
    get: (path) => call('GET', path),
    post: (path, body, idempotencyKey = newIdempotencyKey()) =>
      call('POST', path, JSON.stringify(body), idempotencyKey),
  };
}
