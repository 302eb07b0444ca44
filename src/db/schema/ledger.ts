/**
 * Accounts and their ledger: balances, transactions, holds, grants, idempotency keys, the chains' hashing state. (src/db/schema.ts gathers every table into the DB interface.)
 *
 * `user_id` in these tables is the **account's** id (accounts.id, migration 019): a user's
 * personal account has the user's id, an organisation its own. The column kept its name.
 */
import type { ColumnType, Generated } from 'kysely';

/** The organisation member (a user id) who caused a row; null on personal accounts. Optional on insert. */
export type MemberId = ColumnType<string | null, string | null | undefined, string | null>;

export interface UserCreditsTable {
  /** The account's id (see the top of this file). */
  user_id: string;
  balance_mc: number;
  reserved_mc: number;
  /** Derived by the database: balance_mc - reserved_mc. */
  available_mc: Generated<number>;
  lifetime_purchased_mc: number;
  lifetime_used_mc: number;
  /** Number of ledger rows of this account; the next row gets seq + 1. */
  seq: number;
  /** Hash of the account's last ledger row (the chain's head). */
  last_hash: string;
  updated_at: number;
}

export type TransactionType =
  | 'purchase'
  | 'bonus'
  | 'signup_bonus'
  | 'auto_recharge'
  | 'adjustment'
  | 'usage'
  | 'reservation'
  | 'release'
  | 'refund'
  | 'dispute'
  | 'expiry';

export interface CreditTransactionsTable {
  id: string;
  /** The account's id (see the top of this file). */
  user_id: string;
  /** The member who caused it, on an organisation's account. */
  member_id: MemberId;
  seq: number;
  type: TransactionType;
  amount_mc: number;
  reserved_change_mc: number;
  balance_after_mc: number;
  reserved_after_mc: number;
  description: string;
  metadata: string | null;
  reference_type: string | null;
  reference_id: string | null;
  idempotency_key: string | null;
  prev_hash: string;
  hash: string;
  created_at: number;
}

export type ReservationStatus = 'active' | 'captured' | 'released' | 'expired';

export interface ReservationsTable {
  id: string;
  /** The account's id (see the top of this file). */
  user_id: string;
  /** The member who placed the hold, on an organisation's account. */
  member_id: MemberId;
  amount_mc: number;
  captured_mc: number;
  status: ReservationStatus;
  operation: string | null;
  unit: string | null;
  rule_id: string | null;
  rule_credits_mc: number | null;
  /** A hold may exceed available credits only when forced (a dispute hold). */
  forced: number;
  description: string;
  metadata: string | null;
  expires_at: number;
  created_at: number;
  settled_at: number | null;
}

export interface IdempotencyKeysTable {
  /** scope + ':' + key. The scope is the owner (a user id) or a system scope. */
  id: string;
  fingerprint: string;
  /** JSON of the stored outcome (and the HTTP reply, when the operation came over HTTP). */
  result: string;
  created_at: number;
}

/** One row (`chains`): how the ledger's chains are hashed, and the check value of the key they are hashed with. */
export interface LedgerStateTable {
  id: string;
  hash_scheme: string;
  key_check: string | null;
  updated_at: number;
}

/** A hold made through the service API; the reservation with the same id is the hold itself. */
export interface ServiceHoldsTable {
  id: string;
  /** The account's id (see the top of this file). */
  user_id: string;
  /** The member who placed the hold, on an organisation's account. */
  member_id: MemberId;
  api_key_id: string;
  /** The quantity held, in thousandths of the unit's base quantity. */
  quantity_milli: number;
  created_at: number;
}

export type GrantSource = 'purchase' | 'bonus' | 'signup_bonus' | 'promo' | 'adjustment' | 'auto_recharge';

/** Credits that entered an account, spent in the contract's order (see core/ledger/grants.ts). */
export interface GrantsTable {
  id: string;
  /** The account's id (see the top of this file). */
  user_id: string;
  source: GrantSource;
  credits_mc: number;
  /** Left of the grant: part of the balance (reserved ones included). */
  remaining_mc: number;
  /** Of `remaining_mc`, what active holds reserved from it. */
  reserved_mc: number;
  /** What expired from it (its `expiry` rows). */
  expired_mc: number;
  /** What the grant's credits were bought for (0 for promotional ones). */
  value_cents: number;
  payment_id: string | null;
  transaction_id: string | null;
  expires_at: number | null;
  /** When the sweeper expired it (null: not yet, or never expires). */
  expired_at: number | null;
  created_at: number;
}

/**
 * What one ledger operation changed of one grant's remaining credits (migration 020): its
 * sum up to a moment is the grant's remaining credits then, so the liability report can
 * answer for any past day. Written by the ledger writer with the ledger row it belongs to.
 */
export interface GrantMovementsTable {
  /** The ledger row of the operation (a compound op's step: that step's row). */
  transaction_id: string;
  grant_id: string;
  user_id: string;
  /** Signed change of the grant's `remaining_mc`. */
  amount_mc: number;
  created_at: number;
}

/** How much a hold reserved from each grant. */
export interface ReservationGrantsTable {
  reservation_id: string;
  grant_id: string;
  amount_mc: number;
}
