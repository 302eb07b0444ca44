/**
 * The shapes of the service API (API.md, "The service API"), as the client gives and
 * takes them: credits are numbers with at most 3 decimals. They are derived from
 * `contracts.gen.ts`, which scripts/client-types.ts generates from the service's own zod
 * contracts (src/contracts/service.ts), so nothing here restates a field: a change of a
 * contract reaches these types at the next typecheck or build. The package carries no
 * runtime schema library; only the client's own additions (an idempotency key, the
 * flattened results) are written here.
 */
import type {
  BalanceResponse,
  CaptureBody,
  CaptureResponse,
  Customer as CustomerAnswer,
  CustomerBody,
  ExtendBody,
  ExtendResponse,
  HoldBody,
  HoldResponse,
  ReleaseResponse,
  UsageBatchResponse,
  UsageBody,
  UsageEvent,
  UsageResponse,
} from './contracts.gen.js';

export type { ExtendBody, HoldResponse, UsageResponse };

export type Customer = CustomerAnswer;
export type CustomerKind = Customer['kind'];
export type CustomerInput = CustomerBody;

/** The balance object of the service (credits). */
export type Balance = BalanceResponse;

/** Free-form facts kept on the usage row and shown in the customer's history (at most 4 KiB as JSON). */
export type Metadata = NonNullable<UsageBody['metadata']>;

/** Makes a call idempotent across processes; generated (and reused on retries) when absent. */
interface Idempotent {
  idempotencyKey?: string;
}

/** A usage to charge: `quantity` in the unit's base quantity (seconds for per_minute, bytes for per_mb, tokens for per_1k_tokens, else a count). */
export type UsageInput = UsageBody & Idempotent;

export interface UsageResult {
  /** The usage row (null when nothing was recorded as a charge: a super admin's bypass). */
  usageId: UsageResponse['usage']['id'];
  /** Credits charged. */
  charged: UsageResponse['credits']['charged'];
  /** The customer's balance after it. */
  balance: UsageResponse['credits']['balance'];
}

/** One event of a batch, with its own id: an id charged before is a `duplicate`, charged nothing again. */
export type BatchEvent = UsageEvent;

export type BatchResult = UsageBatchResponse['results'][number];

/** A hold to place: `ttlSeconds` defaults to 900, at most 86,400. */
export type HoldInput = HoldBody & Idempotent;

/** The quantity actually used; its cost is charged, at most the held credits, and the rest released. */
export type CaptureInput = CaptureBody & Idempotent;

export type CaptureResult = CaptureResponse['hold'] & Pick<CaptureResponse['credits'], 'charged' | 'balance'>;

export type ReleaseResult = ReleaseResponse['hold'];

export type ExtendResult = ExtendResponse['hold'];

export type HoldStatus = ExtendResponse['hold']['status'];
