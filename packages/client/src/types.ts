/**
 * The shapes of the service API (API.md, "The service API"), as the client gives and
 * takes them: credits are numbers with at most 3 decimals. The package carries no runtime
 * schema library, so these are declared here; packages/client/test/contract-types.test.ts
 * checks at type level, in the repository's typecheck, that each one matches the service's
 * own zod contracts (src/contracts/service.ts) both ways a client needs: every answer the
 * service gives fits these types, and every input these types allow is a body it accepts.
 */

export type CustomerKind = 'personal' | 'organization';

export interface Customer {
  accountId: string;
  externalId: string;
  kind: CustomerKind;
  name: string;
}

export interface CustomerInput {
  email?: string;
  name?: string;
  kind?: CustomerKind;
}

/** The balance object of the service (credits). */
export interface Balance {
  balance: number;
  reserved: number;
  available: number;
  lifetimePurchased: number;
  lifetimeUsed: number;
  unlimited: boolean;
  [more: string]: unknown;
}

/** Free-form facts kept on the usage row and shown in the customer's history (at most 4 KiB as JSON). */
export type Metadata = Record<string, unknown>;

export interface UsageInput {
  /** The customer's external id. */
  customer: string;
  /** For an organisation: the member (their external id) who caused it. */
  member?: string;
  operation: string;
  unit: string;
  /** In the unit's base quantity: seconds for per_minute, bytes for per_mb, tokens for per_1k_tokens, else a count. */
  quantity: number;
  metadata?: Metadata;
  /** Makes the call idempotent across processes; generated (and reused on retries) when absent. */
  idempotencyKey?: string;
}

export interface UsageResult {
  /** The usage row (null when nothing was recorded as a charge: a super admin's bypass). */
  usageId: string | null;
  /** Credits charged. */
  charged: number;
  /** The customer's balance after it. */
  balance: number;
}

export interface BatchEvent {
  /** The event's own id: an id charged before is a `duplicate`, charged nothing again. */
  id: string;
  customer: string;
  member?: string;
  operation: string;
  unit: string;
  quantity: number;
  metadata?: Metadata;
}

export interface BatchResult {
  /** The event's id (null when the event had no usable id). */
  id: string | null;
  status: 'charged' | 'duplicate' | 'insufficient_credits' | 'invalid';
  charged?: number;
  usageId?: string | null;
  error?: { code: string; message: string; details?: Record<string, unknown> };
  [more: string]: unknown;
}

export interface HoldInput {
  customer: string;
  member?: string;
  operation: string;
  unit: string;
  /** The quantity to reserve the cost of (the unit's base quantity). */
  quantity: number;
  /** How long the hold lasts unless captured, released or extended (default 900, at most 86,400). */
  ttlSeconds?: number;
  idempotencyKey?: string;
}

export interface CaptureInput {
  /** The quantity actually used; its cost is charged, at most the held credits, and the rest released. */
  quantity: number;
  metadata?: Metadata;
  idempotencyKey?: string;
}

export interface CaptureResult {
  id: string;
  status: 'captured';
  /** Credits charged. */
  credits: number;
  /** Credits that were held. */
  heldCredits: number;
  charged: number;
  balance: number;
}

export interface ReleaseResult {
  id: string;
  /** `expired` when the sweeper had released it already. */
  status: 'released' | 'expired';
}

export interface ExtendResult {
  id: string;
  status: string;
  expiresAt: string;
}

export type HoldStatus = 'held' | 'captured' | 'released' | 'expired';
