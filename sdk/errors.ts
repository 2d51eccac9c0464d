/** What the hub answered when it refused a call (RFC 9457 problem+json), as an error. */
export type Problem = {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: { field: string; reason: string }[];
  [extra: string]: unknown;
};

export class HubError extends Error {
  override name = 'HubError';
}

/** The hub answered with a problem (4xx, or a 5xx still there after the retries). */
export class HubProblemError extends HubError {
  override name = 'HubProblemError';
  readonly status: number;
  /** The problem's type as the hub writes it: `/docs/problems#order_reused`. */
  readonly type: string;
  /** The part after `#`: `order_reused`. */
  readonly code: string;
  readonly problem: Problem;
  /** Seconds the hub asked to wait (Retry-After), if it did. */
  readonly retryAfterSeconds: number | undefined;

  constructor(problem: Problem, retryAfterSeconds?: number) {
    super(`${problem.status} ${problem.title}${problem.detail ? `: ${problem.detail}` : ''}`);
    this.status = problem.status;
    this.type = problem.type;
    this.code = problem.type.split('#').pop() ?? problem.type;
    this.problem = problem;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** The fields the hub named as wrong, with why. */
  get fields(): { field: string; reason: string }[] {
    return this.problem.errors ?? [];
  }
}

/** No answer from the hub (network, timeout) after every retry. */
export class HubNetworkError extends HubError {
  override name = 'HubNetworkError';
}

/** A receipt or webhook that does not verify. */
export class HubVerificationError extends HubError {
  override name = 'HubVerificationError';
}
