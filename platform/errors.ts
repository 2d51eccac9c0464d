/**
 * The closed list of errors the hub answers with. The gateway turns each into an RFC 9457
 * problem+json body whose `type` is stable: clients may branch on it.
 */
export const problemTypes = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  idempotency_key_missing: { status: 400, title: 'An Idempotency-Key header is required' },
  unauthenticated: { status: 401, title: 'Authentication is required' },
  signature_invalid: { status: 401, title: 'The request signature is not valid' },
  forbidden: { status: 403, title: 'Not allowed' },
  four_eyes_required: {
    status: 403,
    title:
      'Another finance user must do this: the one who approved a period cannot release its payment',
  },
  not_found: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'The request conflicts with the current state' },
  idempotency_in_progress: {
    status: 409,
    title: 'A request with this Idempotency-Key is still being processed',
  },
  idempotency_key_reused: {
    status: 422,
    title: 'This Idempotency-Key was used with a different request',
  },
  order_reused: {
    status: 422,
    title: 'This order id was already used with other details',
  },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: {
    status: 415,
    title: 'The request body is not of a media type this endpoint takes',
  },
  insufficient_points: { status: 422, title: 'The member does not have enough points' },
  business_rule: { status: 422, title: 'The request breaks a business rule' },
  liability_limit_reached: {
    status: 422,
    title: "The issuer's outstanding points would pass the limit the alliance set for it",
  },
  pay_code_invalid: {
    status: 422,
    title: 'The pay code is not valid: unknown, expired, already used or not this member',
  },
  rate_limited: { status: 429, title: 'Too many requests' },
  overloaded: { status: 503, title: 'The hub is at capacity; retry shortly' },
  unavailable: { status: 503, title: 'A service the hub depends on is unavailable' },
  internal: { status: 500, title: 'Internal error' },
} as const;

export type ProblemType = keyof typeof problemTypes;

/** One invalid input field: a JSON pointer-like path and the reason. */
export type FieldProblem = { field: string; reason: string };

export class AppError extends Error {
  override name = 'AppError';
  readonly type: ProblemType;
  readonly fields: FieldProblem[];
  readonly retryAfterSeconds: number | undefined;
  readonly extra: Record<string, unknown>;

  constructor(
    type: ProblemType,
    detail?: string,
    options: {
      fields?: FieldProblem[];
      retryAfterSeconds?: number;
      extra?: Record<string, unknown>;
    } = {},
  ) {
    super(detail ?? problemTypes[type].title);
    this.type = type;
    this.fields = options.fields ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.extra = options.extra ?? {};
  }

  get status(): number {
    return problemTypes[this.type].status;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
