/**
 * Table types for Kysely. Both dialects store the same shapes: amounts are BIGINT
 * millicredits (`_mc`) or cents (`_cents`), times are BIGINT Unix milliseconds
 * (`_at`), flags are 0/1 integers and JSON is text. One shape on both dialects means
 * the same SQL (bucketing is integer arithmetic) and the same code in core; the pg
 * driver is told to parse BIGINT into numbers (all our values are below 2^53).
 *
 * The tables' types are in schema/ by domain (accounts, ledger, usage, payments, events);
 * this file gathers them into the one DB interface Kysely is typed with, and names the rows.
 */
import type { Insertable, Selectable } from 'kysely';
import type {
  AccountMembersTable,
  AccountsTable,
  ApiKeysTable,
  AuditLogTable,
  AuthCountersTable,
  AuthTokensTable,
  InvitationsTable,
  MemberMonthUsageTable,
  SetupTokensTable,
  UserSettingsTable,
  UsersTable,
} from './schema/accounts.js';
import type {
  AlertDeliveriesTable,
  CreditAlertsTable,
  EventsTable,
  WebhookAttemptsTable,
  WebhookDeliveriesTable,
  WebhookEndpointsTable,
} from './schema/events.js';
import type {
  CreditTransactionsTable,
  GrantsTable,
  GrantMovementsTable,
  IdempotencyKeysTable,
  LedgerStateTable,
  ReservationGrantsTable,
  ReservationsTable,
  ServiceHoldsTable,
  UserCreditsTable,
} from './schema/ledger.js';
import type { PaymentReversalsTable, ProcessedEventsTable, StripePaymentsTable } from './schema/payments.js';
import type {
  CreditPackagesTable,
  CreditPricingTable,
  PromoCodesTable,
  PromoRedemptionsTable,
  UsageRollupsTable,
  UsageTrackingTable,
  VapiCallsTable,
} from './schema/usage.js';

export type * from './schema/accounts.js';
export type * from './schema/events.js';
export type * from './schema/ledger.js';
export type * from './schema/payments.js';
export type * from './schema/usage.js';

export interface DB {
  accounts: AccountsTable;
  account_members: AccountMembersTable;
  invitations: InvitationsTable;
  member_month_usage: MemberMonthUsageTable;
  grants: GrantsTable;
  grant_movements: GrantMovementsTable;
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
/** A row of `accounts` (what holds a balance). `AccountRow` below is an account's balance row (user_credits). */
export type AccountRecord = Selectable<AccountsTable>;
export type MemberRow = Selectable<AccountMembersTable>;
export type InvitationRow = Selectable<InvitationsTable>;
export type GrantRow = Selectable<GrantsTable>;
export type GrantMovementRow = Selectable<GrantMovementsTable>;
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
