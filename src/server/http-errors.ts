/**
 * The one table from error code to HTTP status, and the contract's error body. Nothing
 * else in the server picks a status for an error.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { ErrorCode } from '../contracts/common.js';
import { mcToCredits } from '../contracts/money.js';
import { describeIssues } from '../contracts/validation.js';
import { DomainError } from '../core/errors.js';
import { isUnavailableError } from '../db/errors.js';
import { drainOversizedBody } from './plugins/oversized-body.js';

export const STATUS: Record<ErrorCode, number> = {
  validation_error: 400,
  unauthorized: 401,
  insufficient_credits: 402,
  member_limit_exceeded: 402,
  forbidden: 403,
  email_not_verified: 403,
  not_found: 404,
  idempotency_conflict: 409,
  conflict: 409,
  already_redeemed: 409,
  promo_unavailable: 410,
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

/** An error answer as a reply to send or store: the code's status from the table, and the contract's body. */
export function errorReply(code: ErrorCode, message: string, details?: Record<string, unknown>): { status: number; body: ErrorBody } {
  return { status: STATUS[code], body: errorBody(code, message, details) };
}

/** Sends an error answer: the code's status from the table, and the contract's body. */
export function sendError(reply: FastifyReply, code: ErrorCode, message: string, details?: Record<string, unknown>): FastifyReply {
  return reply.status(STATUS[code]).send(errorBody(code, message, details));
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
  if (e.code === 'member_limit_exceeded' && details) {
    details = {
      limit: mcToCredits(Number(details.limitMc)),
      used: mcToCredits(Number(details.usedMc)),
      required: mcToCredits(Number(details.requiredMc)),
    };
  }
  return errorBody(e.code, e.message, details);
}

export function isDomainOrHttpError(e: unknown): e is DomainError | HttpError {
  return e instanceof DomainError || e instanceof HttpError;
}

/** Fastify's own 4xx errors, in the words the rest of the API uses. */
const FRAMEWORK_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'The request body is not valid JSON.',
};

/** Retry-After for an answer that says "not now": a full queue, a stop, a rate limit. */
function retryAfter(e: DomainError): string | undefined {
  if (e.code === 'overloaded') return '1';
  if (e.code === 'rate_limited') return String(e.details?.retryAfterSeconds ?? 60);
  return undefined;
}

/**
 * The server's error handler: every failure answered with the contract's error body and
 * the status the table gives its code. Domain and HTTP errors say their code; schema
 * failures are `validation_error` with the fields; Fastify's own errors are translated;
 * a database that went away is 503 `database_unavailable`; anything else is logged and 500.
 */
export function answerError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof HttpError) {
    if (err.headers) reply.headers(err.headers);
    return sendError(reply, err.code, err.message, err.details);
  }
  if (err instanceof DomainError) {
    // Refused for now (the writer's queue is full, or it is shutting down): nothing was done.
    const after = retryAfter(err);
    if (after) reply.header('retry-after', after);
    return reply.status(STATUS[err.code]).send(domainErrorBody(err));
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const issues = err.validation.map((v) => ({
      code: v.keyword,
      path: String(v.instancePath ?? '')
        .split('/')
        .filter(Boolean)
        .map((k) => (/^\d+$/.test(k) ? Number(k) : k)),
      message: v.message ?? 'is not valid',
      keys: (v.params as { keys?: string[] }).keys,
    }));
    const { message, fields } = describeIssues([{ part: err.validationContext ?? 'body', issues }]);
    return sendError(reply, 'validation_error', message, { fields });
  }
  const status = err.statusCode ?? 500;
  if (status === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    drainOversizedBody(req, reply);
    return sendError(reply, 'payload_too_large', 'The request body is too large.');
  }
  if (status === 415) return sendError(reply, 'unsupported_media_type', 'Send JSON (Content-Type: application/json).');
  if (status === 429) return sendError(reply, 'rate_limited', 'Too many requests; retry later.');
  if (status >= 400 && status < 500) {
    // Malformed JSON, empty bodies, bad content length and the like.
    return sendError(reply, 'validation_error', FRAMEWORK_MESSAGES[err.code] ?? (err.message || 'The request is not valid.'));
  }
  if (isUnavailableError(err)) {
    // The database went away or stayed locked: not the request's fault, and worth a retry.
    // A write that got this may or may not have committed; its Idempotency-Key settles it.
    req.log.warn({ err: { message: err.message, code: err.code }, reqId: req.id }, 'database unavailable');
    return sendError(reply.header('retry-after', '1'), 'database_unavailable', 'The database is not available right now; retry shortly.');
  }
  req.log.error({ err, reqId: req.id }, 'unexpected error');
  return sendError(reply, 'internal_error', `Something went wrong on our side (request ${req.id}).`);
}
