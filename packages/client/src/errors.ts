/** The contract's error body: `{error: {code, message, details?}}`. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/**
 * An error answer of the service (any status but 402 insufficient_credits, which is an
 * InsufficientCreditsError), or a request that never got an answer after its retries
 * (`status` 0, `code` `network_error` or `timeout`).
 */
export class CreditsApiError extends Error {
  override readonly name: string = 'CreditsApiError';
  /** The HTTP status (0: no answer). */
  readonly status: number;
  /** The contract's snake_case error code. */
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  /** The service's request id (`x-request-id`), when it answered. */
  readonly requestId: string | undefined;
  /** The error body as the service sent it (or as it would have, for a request that got no answer). */
  readonly body: ApiErrorBody;

  constructor(
    status: number,
    code: string,
    message: string,
    details?: Record<string, unknown>,
    requestId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
    this.body = details === undefined ? { error: { code, message } } : { error: { code, message, details } };
  }
}

/** 402 `insufficient_credits`: the customer's available credits do not cover the cost. */
export class InsufficientCreditsError extends CreditsApiError {
  override readonly name: string = 'InsufficientCreditsError';
  /** What the operation needs, in credits. */
  readonly required: number;
  /** What the customer has available, in credits. */
  readonly available: number;

  constructor(message: string, details: Record<string, unknown> | undefined, requestId?: string) {
    super(402, 'insufficient_credits', message, details, requestId);
    this.required = Number(details?.required ?? Number.NaN);
    this.available = Number(details?.available ?? Number.NaN);
  }
}

/** A webhook whose signature, timestamp or headers do not check out. */
export class WebhookVerificationError extends Error {
  override readonly name: string = 'WebhookVerificationError';
}
