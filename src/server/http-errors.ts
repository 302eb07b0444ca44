/**
 * The one table from error code to HTTP status, and the contract's error body. Nothing
 * else in the server picks a status for an error.
 */
import type { ErrorCode } from '../contracts/common.js';
import { DomainError } from '../core/errors.js';
import { mcToCredits } from '../contracts/money.js';

export const STATUS: Record<ErrorCode, number> = {
  validation_error: 400,
  unauthorized: 401,
  insufficient_credits: 402,
  forbidden: 403,
  email_not_verified: 403,
  not_found: 404,
  idempotency_conflict: 409,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  bad_gateway: 502,
  payments_unavailable: 503,
  overloaded: 503,
  email_unavailable: 503,
  database_unavailable: 503,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

/** An error the server answers with a given code (thrown from plugins and routes). */
export class HttpError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export function errorBody(code: ErrorCode, message: string, details?: Record<string, unknown>): ErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}

/** A domain error as the contract's body: amounts in details turn from mc into credits. */
export function domainErrorBody(e: DomainError): ErrorBody {
  let details = e.details;
  if (e.code === 'insufficient_credits' && details) {
    details = {
      required: mcToCredits(Number(details.requiredMc)),
      available: mcToCredits(Number(details.availableMc)),
    };
  }
  return errorBody(e.code, e.message, details);
}

export function isDomainOrHttpError(e: unknown): e is DomainError | HttpError {
  return e instanceof DomainError || e instanceof HttpError;
}
