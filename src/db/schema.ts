/**
 * Table types for Kysely. Both dialects store the same shapes: amounts are BIGINT
 * millicredits (`_mc`) or cents (`_cents`), times are BIGINT Unix milliseconds
 * (`_at`), flags are 0/1 integers and JSON is text. One shape on both dialects means
 * the same SQL (bucketing is integer arithmetic) and the same code in core; the pg
 * driver is told to parse BIGINT into numbers (all our values are below 2^53).
 */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

export type Role = 'user' | 'admin' | 'super_admin';

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  role: Role;
  stripe_customer_id: string | null;
  /** When the address was proved (a verification or reset link used); null: not yet. */
  email_verified_at: ColumnType<number | null, number | null | undefined, number | null>;
  /** The platform's id of the user (a platform token's `sub`, the service API's customer); null: built-in only. */
  external_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Generation of the user's built-in tokens: raised by sign-out, a password change and a role change. */
  token_version: ColumnType<number, number | undefined, number>;
  created_at: number;
  updated_at: number;
}

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

export interface UserCreditsTable {
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
  user_id: string;
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

export interface UsageTrackingTable {
  id: string;
  user_id: string;
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

export type PaymentStatus = 'pending' | 'succeeded' | 'failed' | 'refunded' | 'partially_refunded' | 'disputed';

export interface StripePaymentsTable {
  id: string;
  user_id: string;
  package_id: string;
  provider: 'stripe' | 'simulated';
  status: PaymentStatus;
  kind: 'purchase' | 'auto_recharge';
  amount_cents: number;
  currency: string;
  credits_mc: number;
  bonus_credits_mc: number;
  stripe_payment_intent_id: string | null;
  stripe_charge_id: string | null;
  refunded_cents: number;
  /** Credits taken back by refunds. */
  clawed_back_mc: number;
  /** The dispute's hold while it is open. */
  disputed_mc: number;
  /** Credits taken by a lost dispute. With `clawed_back_mc`, never more than the payment granted. */
  dispute_clawed_mc: number;
  failure_message: string | null;
  /** open, won or lost once a dispute event was seen (in whatever order they came). */
  dispute_status: 'open' | 'won' | 'lost' | null;
  dispute_amount_cents: number | null;
  /** Stripe's receipt of the payment's charge (`receipt_url`), once it succeeded. */
  receipt_url: string | null;
  created_at: number;
  updated_at: number;
}

/** Money that came back out of a payment, when it did: a refund (its increase of the refunded amount) or a lost dispute. */
export interface PaymentReversalsTable {
  id: string;
  payment_id: string;
  kind: 'refund' | 'dispute_lost';
  amount_cents: number;
  created_at: number;
}

export type AlertType =
  | 'low_balance'
  | 'depleted'
  | 'purchase_succeeded'
  | 'payment_failed'
  | 'auto_recharge_succeeded'
  | 'auto_recharge_failed'
  | 'backup_failed'
  | 'refund'
  | 'credits_expired';

export interface CreditAlertsTable {
  id: string;
  user_id: string;
  type: AlertType;
  message: string;
  read: number;
  metadata: string | null;
  created_at: number;
}

export type ReservationStatus = 'active' | 'captured' | 'released' | 'expired';

export interface ReservationsTable {
  id: string;
  user_id: string;
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

export interface ProcessedEventsTable {
  /** provider + ':' + event id. */
  id: string;
  type: string;
  /** When it was first received. */
  created_at: number;
  /** What it did: applied or ignored (null: received by a release before this was recorded). */
  outcome: string | null;
  /** The payment it concerned, when one was found or rebuilt. */
  payment_id: string | null;
}

export interface AuditLogTable {
  id: string;
  actor_id: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  details: string | null;
  created_at: number;
}

export interface UserSettingsTable {
  user_id: string;
  low_balance_threshold_mc: number;
  auto_recharge_enabled: number;
  auto_recharge_threshold_mc: number | null;
  auto_recharge_package_id: string | null;
  /** 1 while available is below the low-balance threshold (so one alert per crossing). */
  below_threshold: number;
  /** 1 once an auto-recharge was started for the current crossing; 0 again above the threshold. */
  auto_recharge_fired: number;
  /** Declines in a row; the next attempt waits until auto_recharge_retry_at. */
  auto_recharge_failures: number;
  auto_recharge_retry_at: number;
  updated_at: number;
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

export interface AlertDeliveriesTable {
  id: string;
  alert_id: string;
  channel: 'webhook' | 'email';
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  /** When the next try may start; also a lease while one instance is delivering. */
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

export interface WebhookEndpointsTable {
  id: string;
  url: string;
  /** JSON array of the event types it receives. */
  events: string;
  /** `whsec_` + base64 of the key (or ALERTS_WEBHOOK_SECRET as given, for the config endpoint). */
  secret: string;
  enabled: number;
  /** `admin` (the API) or `config` (ALERTS_WEBHOOK_URL, kept in step at start-up). */
  source: 'admin' | 'config';
  created_at: number;
  updated_at: number;
}

/** The outbox: written in the same transaction as the event's cause. */
export interface EventsTable {
  id: string;
  type: string;
  account_id: string | null;
  /** JSON. */
  data: string;
  created_at: number;
}

export type WebhookDeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface WebhookDeliveriesTable {
  id: string;
  endpoint_id: string;
  event_id: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  last_status_code: number | null;
  last_error: string | null;
  /** The lease: when an instance claimed it for an attempt (null: not claimed). */
  claimed_at: number | null;
  claim_token: string | null;
  created_at: number;
  delivered_at: number | null;
}

export interface WebhookAttemptsTable {
  id: string;
  delivery_id: string;
  attempted_at: number;
  /** The receiver's status; null when none came (timeout, refused, network). */
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

/** A fixed-window counter of sign-in attempts; `key` names what is counted. */
export interface AuthCountersTable {
  key: string;
  window_start: number;
  count: number;
}

export type AuthTokenPurpose = 'verify_email' | 'reset_password';

/** A single-use token mailed to a user; only its SHA-256 is stored. */
export interface AuthTokensTable {
  id: string;
  user_id: string;
  purpose: AuthTokenPurpose;
  token_hash: string;
  expires_at: number;
  used_at: number | null;
  created_at: number;
}

/** A one-time token that creates the first super admin; only its SHA-256 hash is kept. */
export interface SetupTokensTable {
  id: string;
  token_hash: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** One row (`chains`): how the ledger's chains are hashed, and the check value of the key they are hashed with. */
export interface LedgerStateTable {
  id: string;
  hash_scheme: string;
  key_check: string | null;
  updated_at: number;
}

/** A key of the service API; only its SHA-256 is kept. */
export interface ApiKeysTable {
  id: string;
  name: string;
  /** The key's first characters (`ck_live_` and a few more), shown to tell keys apart. */
  prefix: string;
  /** SHA-256 of the whole key, hex. */
  hash: string;
  created_by: string | null;
  created_at: number;
  /** Updated at most once a minute per key and instance. */
  last_used_at: number | null;
  revoked_at: number | null;
}

/** A hold made through the service API; the reservation with the same id is the hold itself. */
export interface ServiceHoldsTable {
  id: string;
  user_id: string;
  api_key_id: string;
  /** The quantity held, in thousandths of the unit's base quantity. */
  quantity_milli: number;
  created_at: number;
}

export type GrantSource = 'purchase' | 'bonus' | 'signup_bonus' | 'promo' | 'adjustment' | 'auto_recharge';

/** Credits that entered an account, spent in the contract's order (see core/ledger/grants.ts). */
export interface GrantsTable {
  id: string;
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

/** How much a hold reserved from each grant. */
export interface ReservationGrantsTable {
  reservation_id: string;
  grant_id: string;
  amount_mc: number;
}

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

export interface DB {
  grants: GrantsTable;
  reservation_grants: ReservationGrantsTable;
  promo_codes: PromoCodesTable;
  promo_redemptions: PromoRedemptionsTable;
  api_keys: ApiKeysTable;
  service_holds: ServiceHoldsTable;
  auth_counters: AuthCountersTable;
  auth_tokens: AuthTokensTable;
  alert_deliveries: AlertDeliveriesTable;
  setup_tokens: SetupTokensTable;
  ledger_state: LedgerStateTable;
  users: UsersTable;
  credit_packages: CreditPackagesTable;
  user_credits: UserCreditsTable;
  credit_transactions: CreditTransactionsTable;
  usage_tracking: UsageTrackingTable;
  usage_rollups: UsageRollupsTable;
  credit_pricing: CreditPricingTable;
  stripe_payments: StripePaymentsTable;
  payment_reversals: PaymentReversalsTable;
  credit_alerts: CreditAlertsTable;
  reservations: ReservationsTable;
  idempotency_keys: IdempotencyKeysTable;
  processed_events: ProcessedEventsTable;
  audit_log: AuditLogTable;
  user_settings: UserSettingsTable;
  vapi_calls: VapiCallsTable;
  webhook_endpoints: WebhookEndpointsTable;
  events: EventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
}

export type UserRow = Selectable<UsersTable>;
export type GrantRow = Selectable<GrantsTable>;
export type ReservationGrantRow = Selectable<ReservationGrantsTable>;
export type AccountRow = Selectable<UserCreditsTable>;
export type TransactionRow = Selectable<CreditTransactionsTable>;
export type NewTransaction = Insertable<CreditTransactionsTable>;
export type ReservationRow = Selectable<ReservationsTable>;
export type PricingRow = Selectable<CreditPricingTable>;
export type PackageRow = Selectable<CreditPackagesTable>;
export type PaymentRow = Selectable<StripePaymentsTable>;
export type CallRow = Selectable<VapiCallsTable>;
export type UsageRow = Selectable<UsageTrackingTable>;
