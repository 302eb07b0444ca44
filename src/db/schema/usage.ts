/**
 * What is sold and metered: packages, prices, usage and its rollups, promo codes, VAPI calls. (src/db/schema.ts gathers every table into the DB interface.)
 *
 * `user_id` in usage_tracking, usage_rollups, promo_redemptions and vapi_calls is the
 * **account's** id (accounts.id, migration 019; a personal account's id is its user's).
 */
import type { MemberId } from './ledger.js';

export interface CreditPackagesTable {
  id: string;
  name: string;
  credits_mc: number;
  bonus_credits_mc: number;
  price_cents: number;
  currency: string;
  popular: number;
  active: number;
  /** Days the package's credits last from the purchase (null: never expire). */
  credits_expire_in_days: number | null;
  /** Days the package's bonus lasts from the purchase (null: never expires). */
  bonus_expire_in_days: number | null;
  created_at: number;
  updated_at: number;
}

export interface UsageTrackingTable {
  id: string;
  /** The account's id (see the top of this file). */
  user_id: string;
  /** The member who caused it, on an organisation's account. */
  member_id: MemberId;
  operation: string;
  unit: string;
  quantity_milli: number;
  cost_mc: number;
  charged_mc: number;
  rule_id: string | null;
  rule_credits_mc: number;
  bypass: number;
  transaction_id: string | null;
  reservation_id: string | null;
  metadata: string | null;
  created_at: number;
  /** Set on a reversal row: the usage row it takes back (its quantities and charge negated). */
  reverses_id: string | null;
}

export interface UsageRollupsTable {
  user_id: string;
  /** Start of the UTC hour, Unix ms. Days are sums of their hours. */
  bucket: number;
  operation: string;
  unit: string;
  credits_mc: number;
  operations: number;
  quantity_milli: number;
}

export interface CreditPricingTable {
  id: string;
  operation: string;
  unit: string;
  credits_mc: number;
  description: string;
  version: number;
  active: number;
  /** The rule version this one replaced, if any. */
  supersedes_id: string | null;
  created_at: number;
}

export interface VapiCallsTable {
  id: string;
  /** The id VAPI knows the call by (the API's call.id); null until VAPI answered. */
  vapi_id: string | null;
  /** The idempotency record of the request that started the call, updated with the final answer. */
  idempotency_id: string | null;
  user_id: string;
  reservation_id: string;
  /**
   * starting: the attempt is recorded, VAPI has not confirmed it; in_progress: VAPI placed
   * it; ending: the owner asked VAPI to hang up; ended: settled; failed: never placed,
   * hold released and start charge reversed.
   */
  status: CallStatus;
  /**
   * VAPI's last word for an open call (queued, ringing, in-progress, forwarding), from its
   * answer to the start, its status-update messages or the sweeper's `GET /call/:id`; null
   * for calls placed before migration 027 (a simulated call's is in-progress).
   */
  vapi_status: string | null;
  phone_number: string;
  assistant_id: string | null;
  max_duration_seconds: number;
  simulated: number;
  duration_ms: number | null;
  charged_mc: number | null;
  created_at: number;
  ended_at: number | null;
  /** When the owner asked VAPI to hang up. */
  end_requested_at: number | null;
  /** What the settlement was based on: report, vapi, caller, hold (VAPI could not tell), abandoned. */
  settled_by: string | null;
  /** The usage row of the start charge (reversed when the call is abandoned). */
  start_usage_id: string | null;
}

export type CallStatus = 'starting' | 'in_progress' | 'ending' | 'ended' | 'failed';

export interface PromoCodesTable {
  id: string;
  code: string;
  credits_mc: number;
  expires_in_days: number | null;
  max_redemptions: number | null;
  valid_until: number | null;
  redemptions: number;
  active: number;
  created_by: string | null;
  created_at: number;
}

export interface PromoRedemptionsTable {
  id: string;
  code_id: string;
  user_id: string;
  grant_id: string | null;
  created_at: number;
}
