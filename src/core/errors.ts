/**
 * The closed list of domain errors. Core throws these; the server maps each code to
 * an HTTP status in one table (server/http-errors.ts). No HTTP here.
 */

export type DomainErrorCode =
  /** The caller's available credits do not cover the charge; nothing was written. */
  | 'insufficient_credits'
  /** The charge would take an organisation member's spending this month past their monthly limit; nothing was written. */
  | 'member_limit_exceeded'
  /** The same idempotency key was used with different parameters; nothing was written. */
  | 'idempotency_conflict'
  /** The state does not allow the operation (duplicate email, settled hold...). */
  | 'conflict'
  /** This account already redeemed this promo code; nothing was written. */
  | 'already_redeemed'
  /** The promo code is past its `validUntil` or used up; nothing was written. */
  | 'promo_unavailable'
  /** The thing does not exist, or is not the caller's. */
  | 'not_found'
  /** Input that passed the schema but breaks a domain rule. */
  | 'validation_error'
  /** The caller lacks the role for this. */
  | 'forbidden'
  /** Credentials are missing or wrong. */
  | 'unauthorized'
  /** No payment provider may be used in this configuration. */
  | 'payments_unavailable'
  /** The writer's queue is full; nothing was written, retry later. */
  | 'overloaded'
  /** The voice-call provider (VAPI) refused or did not answer; nothing changed here. */
  | 'bad_gateway'
  /** Too many attempts; `details.retryAfterSeconds` says when to try again. Nothing was done. */
  | 'rate_limited'
  /** The password was right but the address is not verified yet (REQUIRE_EMAIL_VERIFICATION). */
  | 'email_not_verified'
  /** The operation needs to send mail and no mail server is configured. */
  | 'email_unavailable';

export class DomainError extends Error {
  readonly code: DomainErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: DomainErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
  }
}

export const insufficientCredits = (requiredMc: number, availableMc: number) =>
  new DomainError('insufficient_credits', 'Not enough credits for this operation.', {
    requiredMc,
    availableMc,
  });

/**
 * A member's charge that would take what they spent this month (with what their open holds
 * reserve) past their monthly limit on the organisation.
 */
export const memberLimitExceeded = (limitMc: number, usedMc: number, requiredMc: number) =>
  new DomainError('member_limit_exceeded', 'This charge would take your spending this month past your limit on this organisation.', {
    limitMc,
    usedMc,
    requiredMc,
  });

export const notFound = (what: string) => new DomainError('not_found', `${what} not found.`);

export const conflict = (message: string, details?: Record<string, unknown>) => new DomainError('conflict', message, details);

export const idempotencyConflict = () =>
  new DomainError('idempotency_conflict', 'This Idempotency-Key was already used with different parameters.');

export const invalid = (message: string, details?: Record<string, unknown>) => new DomainError('validation_error', message, details);

export const rateLimited = (message: string, retryAfterSeconds: number) =>
  new DomainError('rate_limited', message, { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) });

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}
