import { randomBytes } from 'node:crypto';
import { HubNetworkError, HubProblemError, HubVerificationError, type Problem } from './errors.ts';
import { createJwksCache, kidOf } from './jwks.ts';
import { importSigningKey, type PrivateKeyInput } from './keys.ts';
import type { PartnerRoutes } from './openapi-types.ts';
import { type HubReceipt, verifyHubReceipt } from './receipts.ts';
import {
  defaultRetryPolicy,
  isRetryableStatus,
  type RetryPolicy,
  retryAfterMs,
  retryDelayMs,
} from './retry.ts';
import { signPartnerRequest } from './signing.ts';
import { type HubEvent, verifyHubWebhook, type WebhookSignature } from './webhooks.ts';

/**
 * The partner API as typed calls. Every call is signed afresh on every attempt (new nonce and
 * timestamp); a POST carries one Idempotency-Key for the whole logical call, the same on every
 * retry, so a retried payment applies once. Retries: see retry.ts. A refusal is thrown as a
 * HubProblemError with the hub's problem fields.
 */

/** Every method of the client and the route it calls: a new partner route needs an entry. */
export const clientRoutes = {
  me: 'GET /v1/partner/me',
  listStores: 'GET /v1/partner/stores',
  addStore: 'POST /v1/partner/stores',
  getRules: 'GET /v1/partner/rules',
  enrolMember: 'POST /v1/partner/members',
  findMember: 'GET /v1/partner/members',
  linkMember: 'POST /v1/partner/members/{memberId}/link',
  earn: 'POST /v1/partner/accruals',
  earnBatch: 'POST /v1/partner/accruals/batch',
  recordActivity: 'POST /v1/partner/activities',
  authorise: 'POST /v1/partner/redemptions/authorise',
  capture: 'POST /v1/partner/redemptions/{holdId}/capture',
  voidHold: 'POST /v1/partner/redemptions/{holdId}/void',
  redeem: 'POST /v1/partner/redemptions',
  refund: 'POST /v1/partner/refunds',
  publishBenefit: 'POST /v1/partner/benefits',
  listBenefits: 'GET /v1/partner/benefits',
  withdrawBenefit: 'POST /v1/partner/benefits/{benefitId}/withdraw',
  useBenefit: 'POST /v1/partner/benefit-uses',
  listStatements: 'GET /v1/partner/statements',
  getStatement: 'GET /v1/partner/statements/{periodId}',
  reconcile: 'POST /v1/partner/reconciliations/{periodId}',
  createWebhook: 'POST /v1/partner/webhooks',
  listWebhooks: 'GET /v1/partner/webhooks',
  updateWebhook: 'PATCH /v1/partner/webhooks/{endpointId}',
  deleteWebhook: 'DELETE /v1/partner/webhooks/{endpointId}',
  listWebhookDeliveries: 'GET /v1/partner/webhook-deliveries',
  getWebhookDelivery: 'GET /v1/partner/webhook-deliveries/{deliveryId}',
  redeliverWebhook: 'POST /v1/partner/webhook-deliveries/{deliveryId}/redeliver',
  listKeys: 'GET /v1/partner/keys',
  addKey: 'POST /v1/partner/keys',
  revokeKey: 'POST /v1/partner/keys/{kid}/revoke',
} as const satisfies Record<string, keyof PartnerRoutes>;

type Routes = typeof clientRoutes;
type IsNever<T> = [T] extends [never] ? true : false;

/** What a call takes: its path parameters, query and body, where the route has them. */
export type CallInput<R extends keyof PartnerRoutes> = (IsNever<
  PartnerRoutes[R]['path']
> extends true
  ? unknown
  : { path: PartnerRoutes[R]['path'] }) &
  (IsNever<PartnerRoutes[R]['query']> extends true
    ? unknown
    : { query?: PartnerRoutes[R]['query'] }) &
  (IsNever<PartnerRoutes[R]['body']> extends true ? unknown : { body: PartnerRoutes[R]['body'] });

export type CallOptions = {
  /** The logical call's key; by default one is made, and reused on every retry of this call. */
  idempotencyKey?: string;
  signal?: AbortSignal;
};

/** An answer: its data, the exact text (what a receipt covers), and the receipt if any. */
export type HubResult<T> = {
  status: number;
  data: T;
  text: string;
  receipt: string | null;
  /** The hub answered with the answer kept for the Idempotency-Key (a retry). */
  replayed: boolean;
  idempotencyKey: string | null;
};

type Methods = {
  [M in keyof Routes]: (
    input?: CallInput<Routes[M]>,
    options?: CallOptions,
  ) => Promise<HubResult<PartnerRoutes[Routes[M]]['response']>>;
};

export type HubClient = Methods & {
  /** Checks a result's receipt against the hub's JWKS (refetched for an unknown kid). */
  verifyReceipt(result: HubResult<unknown>): Promise<HubReceipt>;
  /** Checks a webhook the hub posted (the body as received, Hub-Webhook-Signature). */
  verifyWebhook(
    body: string | Uint8Array,
    signature: string,
  ): Promise<{ event: HubEvent; signature: WebhookSignature }>;
};

export type HubClientOptions = {
  hubUrl: string;
  partnerId: string;
  kid: string;
  /** The private key: PKCS#8 PEM, a private JWK, or a CryptoKey. */
  privateKey: PrivateKeyInput;
  retry?: Partial<RetryPolicy>;
  /** One attempt's deadline; default 10 s. */
  attemptTimeoutMs?: number;
  fetch?: typeof fetch;
  /**
   * The JWKS is fetched again for an unknown kid at most this often (default 10 s), so that
   * forged webhooks naming made-up kids cannot make the client fetch it without end.
   */
  jwksRefreshMinMs?: number;
  /** The clock requests are signed with and webhooks checked against; the machine's by default. */
  now?: () => Date;
};

export function newIdempotencyKey(): string {
  return randomBytes(18).toString('base64url');
}

/** The URL of a route with its parameters, and the target exactly as fetch will send it. */
function urlOf(hubUrl: string, template: string, input: Record<string, unknown>) {
  const params = (input.path ?? {}) as Record<string, string>;
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(String(params[name] ?? '')),
  );
  const url = new URL(path, hubUrl);
  for (const [name, value] of Object.entries((input.query ?? {}) as Record<string, unknown>))
    if (value !== undefined) url.searchParams.append(name, String(value));
  // fetch sends what the URL serialises to; signing that spelling is what the hub checks.
  return { url, target: url.href.slice(url.origin.length).replace(/#.*$/, '') };
}

function bodyOf(route: string, input: Record<string, unknown>) {
  if (!('body' in input) || input.body === undefined)
    return route.startsWith('POST') ? { text: '', type: undefined } : undefined;
  if (typeof input.body === 'string') return { text: input.body, type: 'text/csv' };
  return { text: JSON.stringify(input.body), type: 'application/json' };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

export function createHubClient(options: HubClientOptions): HubClient {
  const send = options.fetch ?? fetch;
  const policy = { ...defaultRetryPolicy, ...options.retry };
  const hubUrl = options.hubUrl.replace(/\/$/, '');
  const keyPromise = importSigningKey(options.partnerId, options.kid, options.privateKey);
  const jwks = createJwksCache({ hubUrl, fetch: send, refreshMinMs: options.jwksRefreshMinMs });
  const now = options.now ?? (() => new Date());

  async function attempt(
    method: string,
    url: URL,
    target: string,
    body: { text: string; type: string | undefined } | undefined,
    idempotencyKey: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const headers = await signPartnerRequest(await keyPromise, {
      method,
      pathWithQuery: target,
      body: body?.text ?? '',
      idempotencyKey,
      timestamp: Math.floor(now().getTime() / 1000),
    });
    if (body?.type) headers['content-type'] = body.type;
    const timeout = AbortSignal.timeout(options.attemptTimeoutMs ?? 10_000);
    return send(url, {
      method,
      headers,
      body: body?.text,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  }

  async function call(route: string, input: Record<string, unknown>, opts: CallOptions) {
    const [method = 'GET', template = ''] = route.split(' ');
    const { url, target } = urlOf(hubUrl, template, input);
    const body = bodyOf(route, input);
    const idempotencyKey =
      method === 'POST' ? (opts.idempotencyKey ?? newIdempotencyKey()) : opts.idempotencyKey;
    const started = Date.now();
    for (let n = 1; ; n += 1) {
      let res: Response | undefined;
      let failure: unknown;
      try {
        res = await attempt(method, url, target, body, idempotencyKey, opts.signal);
      } catch (error) {
        if (opts.signal?.aborted) throw error;
        failure = error;
      }
      if (res && !isRetryableStatus(res.status)) return finish(res, idempotencyKey ?? null);
      const wait = retryDelayMs(
        policy,
        n,
        res ? retryAfterMs(res.headers.get('retry-after')) : undefined,
      );
      if (n >= policy.attemptsMax || Date.now() - started + wait > policy.totalMs) {
        if (res) return finish(res, idempotencyKey ?? null);
        throw new HubNetworkError(`${method} ${target}: no answer after ${n} attempts`, {
          cause: failure,
        });
      }
      await res?.body?.cancel();
      await sleep(wait, opts.signal);
    }
  }

  const methods = Object.fromEntries(
    Object.entries(clientRoutes).map(([name, route]) => [
      name,
      (input: Record<string, unknown> = {}, opts: CallOptions = {}) => call(route, input, opts),
    ]),
  ) as Methods;

  return {
    ...methods,
    verifyReceipt: async (result) => {
      if (!result.receipt) throw new HubVerificationError('the answer carries no receipt');
      try {
        return await verifyHubReceipt(
          result.receipt,
          await jwks.forKid(kidOf(result.receipt)),
          result.text,
        );
      } catch (error) {
        throw new HubVerificationError(error instanceof Error ? error.message : String(error));
      }
    },
    verifyWebhook: async (body, signature) =>
      verifyHubWebhook(body, signature, await jwks.forKid(kidOf(signature)), {
        partnerId: options.partnerId,
        now: now(),
      }),
  };
}

async function finish<T>(res: Response, idempotencyKey: string | null): Promise<HubResult<T>> {
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').includes('json');
  if (res.status >= 400) {
    const problem: Problem = json
      ? (JSON.parse(text) as Problem)
      : { type: 'about:blank', title: res.statusText, status: res.status, detail: text };
    const after = retryAfterMs(res.headers.get('retry-after'));
    throw new HubProblemError(problem, after === undefined ? undefined : after / 1000);
  }
  return {
    status: res.status,
    data: (json && text ? JSON.parse(text) : text || null) as T,
    text,
    receipt: res.headers.get('hub-receipt'),
    replayed: res.headers.get('idempotent-replayed') === 'true',
    idempotencyKey,
  };
}
