import type { Kysely } from 'kysely';
import type { DomainError } from '../errors.js';
import type { DB, GrantSource } from '../../db/schema.js';

/** What a charged operation records in usage_tracking and the rollups. */
export interface UsageInput {
  operation: string;
  unit: string;
  /** Base quantity in thousandths (61 s = 61000, 3 messages = 3000). */
  quantityMilli: number;
  ruleId: string | null;
  ruleCreditsMc: number;
  /** The priced cost before any cap (a capture never charges beyond its hold). */
  costMc: number;
  metadata?: Record<string, unknown> | null;
  /** `metadata`'s JSON once made (ledger-rows.ts usageText); `metadata` is not changed after. */
  metadataText?: string | undefined;
}

/** The rule a hold was priced with, so its settlement is charged at the same price. */
export interface HoldPricing {
  operation: string;
  unit: string;
  ruleId: string | null;
  ruleCreditsMc: number;
}

export interface IdempotencyInput<E = unknown> {
  /** The owner of the key: a user id, or a system scope such as `stripe`. */
  scope: string;
  key: string;
  /** A digest of the parameters; the same key with another fingerprint is a conflict. */
  fingerprint: string;
  /** Builds what is stored for replays beside the outcome (an HTTP response, say). */
  // A method, so an input for one effect type is also an input for any (unknown).
  reply?(outcome: Applied<E>): unknown;
}

/**
 * Extra writes that belong to the operation, run in its transaction after it applied; what
 * it returns is the outcome's `effects` (stored with the idempotency key, so a replay has it).
 */
export type Effect<E = unknown> = (trx: Kysely<DB>, outcome: Applied) => Promise<E>;

/** What every op may carry (and every Ledger method takes besides its amounts); `E` is what its effect returns. */
export interface OpBase<E = unknown> {
  idem?: IdempotencyInput<NoInfer<E>> | undefined;
  description?: string | undefined;
  metadata?: Record<string, unknown> | null | undefined;
  refType?: string | undefined;
  refId?: string | undefined;
  effects?: Effect<E> | undefined;
}

export type CreditType = 'purchase' | 'bonus' | 'signup_bonus' | 'auto_recharge' | 'adjustment';
export type ClawbackType = 'refund' | 'dispute' | 'adjustment';

/** What the grant a credit creates is: by default its source is the row's type, it never expires and is worth nothing. */
export interface GrantOptions {
  source?: GrantSource | undefined;
  /** When its credits expire (Unix ms); null or absent: never. */
  expiresAt?: number | null | undefined;
  /** What its credits were bought for (a purchase's price); 0 for promotional credits. */
  valueCents?: number | undefined;
}

/** Adds credits, as a new grant (a credit with `refType` `payment` names the grant's payment). */
export interface CreditOp<E = unknown> extends OpBase<E> {
  kind: 'credit';
  userId: string;
  amountMc: number;
  type: CreditType;
  grant?: GrantOptions | undefined;
  /**
   * The organisation member who caused it (a purchase's buyer), recorded on the row and
   * covered by its hash, with no membership check and no limit: credits a member paid for
   * arrive even when the payment succeeds after they left.
   */
  memberId?: string | null | undefined;
}

/**
 * The organisation member (a user id) who causes an op on an organisation's account. The
 * writer reads their membership and monthly limit in the op's transaction: a user who is not
 * a member is refused (404), and a debit or hold that would take what they spent this month
 * (with what their open holds reserve) past their limit is refused (402
 * `member_limit_exceeded`). Absent on personal accounts and on ops no member caused.
 */
interface MemberOf {
  memberId?: string | null | undefined;
}

/** Takes credits the account can afford: refused when available is short or negative. */
export interface DebitOp<E = unknown> extends OpBase<E>, MemberOf {
  kind: 'debit';
  userId: string;
  amountMc: number;
  type: 'usage' | 'adjustment';
  usage?: UsageInput | undefined;
}

/** Takes credits back whatever the balance: it may go below zero. */
export interface ClawbackOp<E = unknown> extends OpBase<E> {
  kind: 'clawback';
  userId: string;
  amountMc: number;
  type: ClawbackType;
}

/** Holds credits for an operation sized at its end. */
export interface ReserveOp<E = unknown> extends OpBase<E>, MemberOf {
  kind: 'reserve';
  userId: string;
  reservationId: string;
  /** The hold wanted. With `shrink`, the most wanted. */
  amountMc: number;
  /** Lowers the hold to what is affordable: given the available credits, the hold to take, or null to refuse. */
  shrink?: ((availableMc: number) => number | null) | undefined;
  expiresAt: number;
  /** May exceed the available credits (a dispute hold). */
  forced?: boolean | undefined;
  pricing?: HoldPricing | undefined;
}

/** Settles a hold: charges up to the hold, releases the rest. */
export interface CaptureOp<E = unknown> extends OpBase<E> {
  kind: 'capture';
  reservationId: string;
  /** When set, the hold must belong to this account. */
  userId?: string | undefined;
  amountMc: number;
  type?: 'usage' | 'dispute' | undefined;
  usage?: UsageInput | undefined;
}

/** Ends a hold without charging. */
export interface ReleaseOp<E = unknown> extends OpBase<E> {
  kind: 'release';
  reservationId: string;
  userId?: string | undefined;
  reason: 'released' | 'expired';
}

/** Records usage that is not charged (the super admin's bypass). */
export interface RecordUsageOp<E = unknown> extends OpBase<E>, MemberOf {
  kind: 'record_usage';
  userId: string;
  usage: UsageInput;
}

/**
 * Takes back a usage charge as if it had not happened: the charged credits return (an
 * `adjustment` row referencing the usage row, `reference_type` `usage_reversal`), lifetime
 * used drops by them, and a reversal usage row (quantities and charge negated, in the
 * original's hour) takes the operation out of the usage report. Once per usage row.
 */
export interface ReverseUsageOp<E = unknown> extends OpBase<E> {
  kind: 'reverse_usage';
  userId: string;
  usageId: string;
}

/** Expires what is left of a grant once its time has come (the sweeper): one `expiry` row, once. */
export interface ExpireGrantOp<E = unknown> extends OpBase<E> {
  kind: 'expire_grant';
  userId: string;
  grantId: string;
}

/** Several steps on one account that apply together or not at all (its `memberId` is every step's that names none). */
export interface CompoundOp<E = unknown> extends OpBase<E>, MemberOf {
  kind: 'compound';
  userId: string;
  steps: StepOp[];
}

/** One operation; `E` is what its effect returns (see `Applied.effects`). */
export type LedgerOp<E = unknown> =
  | CreditOp<E>
  | DebitOp<E>
  | ClawbackOp<E>
  | ReserveOp<E>
  | CaptureOp<E>
  | ReleaseOp<E>
  | RecordUsageOp<E>
  | ReverseUsageOp<E>
  | ExpireGrantOp<E>
  | CompoundOp<E>;

/** A step of a compound operation (its own effects, if any, are not run: the compound's are). */
export type StepOp = Exclude<LedgerOp, CompoundOp>;

/**
 * The result of an applied operation (or of its first application, on a replay); `E` is
 * what the operation's effect returned (on a replay, as stored: through JSON).
 */
export interface Applied<E = unknown> {
  replayed: boolean;
  userId: string;
  transactionId: string | null;
  /** When it was applied (Unix ms): the stored `created_at` of its ledger and usage rows. */
  createdAt: number;
  /** Signed change of the balance. */
  amountMc: number;
  /** Signed change of the reserved credits. */
  reservedChangeMc: number;
  balanceMc: number;
  reservedMc: number;
  availableMc: number;
  reservationId?: string;
  usageId?: string;
  /** What a capture charged (at most the hold). */
  chargedMc?: number;
  /** The grant a credit created. */
  grantId?: string;
  /** What expired: an expired grant's credits, or what a hold released unspent from grants that expired under it. */
  expiredMc?: number;
  steps?: Applied[];
  effects?: E;
  reply?: unknown;
}

export type OpResult = { ok: true; value: Applied } | { ok: false; error: DomainError };

/** Published after a commit for each account whose balance changed. */
export interface BalanceChange {
  userId: string;
  balanceMc: number;
  reservedMc: number;
  availableMc: number;
  lifetimePurchasedMc: number;
  lifetimeUsedMc: number;
  /** Available credits before this batch touched the account. */
  previousAvailableMc: number;
}
