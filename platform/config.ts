import { isIP } from 'node:net';
import { z } from 'zod';

/** The whole configuration of a hub process, read once from the environment at start-up. */
const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' })
    .describe('PostgreSQL connection URL'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(20),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// URL' }),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[a-z0-9:_-]{1,40}$/, 'lowercase letters, digits, ":", "_" or "-"')
    .default('hub'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
  PUBLIC_URL: z.url().optional(),
  /** Crash tests only: the named point where the process kills itself (NODE_ENV=test). */
  HUB_KILL_POINT: z
    .string()
    .regex(/^[a-z0-9:-]{1,80}$/)
    .optional(),
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(5).default(0),
  HUB_DEMO: z.enum(['0', '1'], { error: 'must be 0 or 1' }).default('0'),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(100).max(3_600_000).default(10_000),
  WEBHOOK_RETRY_FOR_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(7 * 86_400_000)
    .default(86_400_000),
  WEBHOOK_ALLOW_PRIVATE: z.enum(['0', '1'], { error: 'must be 0 or 1' }).default('0'),
  METRICS_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9_-]{32,200}$/, '32 to 200 of A-Z a-z 0-9 _ -')
    .optional(),
  HUB_PROCESSES: z.coerce.number().int().min(1).max(16).default(1),
  /** Set by the primary process for each process it starts: which one this is. */
  HUB_PROCESS_INDEX: z.coerce.number().int().min(0).max(15).default(0),
});

export type Config = {
  env: 'development' | 'test' | 'production';
  host: string;
  port: number;
  databaseUrl: string;
  databasePoolMax: number;
  redisUrl: string;
  redisKeyPrefix: string;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  shutdownGraceMs: number;
  publicUrl: string;
  /** Where a crash test wants the process to die (only ever set when env is test). */
  killPoint: string | undefined;
  /**
   * How many reverse proxies in front of the hub append to X-Forwarded-For. 0: the header is
   * ignored and the client is the socket's peer, since anyone can write the header.
   */
  trustProxyHops: number;
  /**
   * Demo mode (HUB_DEMO=1, loopback only): sign-in codes land in the member_outbox table and
   * /v1/dev/member-outbox shows them. Off, codes go only through a configured sender.
   */
  demo: boolean;
  /**
   * Webhook delivery: how long one attempt may take, the first retry's delay (doubling up to
   * an hour, with jitter), and how long after the event retries go on. allowPrivate lets
   * endpoints resolve to loopback and private addresses (tests, demo): off, the hub refuses to
   * post into its own network.
   */
  webhooks: { timeoutMs: number; retryBaseMs: number; retryForMs: number; allowPrivate: boolean };
  /** A bearer token that may read /metrics from anywhere (else loopback only). */
  metricsToken: string | undefined;
  /** How many processes serve on this machine (node:cluster), and which one this is. */
  processes: { count: number; index: number };
};

/**
 * Demo mode shows every member's sign-in code at /v1/dev/member-outbox, so it is only allowed
 * where nobody but this machine can reach the gateway.
 */
function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** Thrown when the environment does not describe a runnable hub; its message is one line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = issue.path.join('.') || '(environment)';
      const reason =
        issue.code === 'invalid_type' && issue.input === undefined ? 'is not set' : issue.message;
      return `${field} ${reason}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  if (e.HUB_DEMO === '1' && !isLoopback(e.HOST)) {
    throw new ConfigError(
      `invalid configuration: HUB_DEMO needs HOST on loopback (127.0.0.1, ::1 or localhost), not ${e.HOST}: demo mode shows every sign-in code`,
    );
  }
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    logLevel: e.LOG_LEVEL,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    publicUrl: e.PUBLIC_URL ?? `http://${e.HOST}:${e.PORT}`,
    killPoint: e.NODE_ENV === 'test' ? e.HUB_KILL_POINT : undefined,
    trustProxyHops: e.TRUST_PROXY_HOPS,
    demo: e.HUB_DEMO === '1',
    webhooks: {
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
      retryForMs: e.WEBHOOK_RETRY_FOR_MS,
      allowPrivate: e.WEBHOOK_ALLOW_PRIVATE === '1' || e.HUB_DEMO === '1',
    },
    metricsToken: e.METRICS_TOKEN,
    processes: {
      count: e.HUB_PROCESSES,
      index: Math.min(e.HUB_PROCESS_INDEX, e.HUB_PROCESSES - 1),
    },
  };
}
