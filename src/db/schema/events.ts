/** Alerts and their deliveries, and the events out with their endpoints, deliveries and attempts. (src/db/schema.ts gathers every table into the DB interface.) */
export type AlertType =
  | 'low_balance'
  | 'depleted'
  | 'purchase_succeeded'
  | 'payment_failed'
  | 'auto_recharge_succeeded'
  | 'auto_recharge_failed'
  | 'backup_failed'
  | 'refund'
  | 'credits_expired'
  | 'member_limit_reached';

export interface CreditAlertsTable {
  id: string;
  /** The account's id (accounts.id, migration 019; a personal account's id is its user's). */
  user_id: string;
  type: AlertType;
  message: string;
  read: number;
  metadata: string | null;
  created_at: number;
}

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
