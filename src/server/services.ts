/**
 * Adapters and background watchers that routes use. Each integration has a simulated
 * twin, chosen by configuration in main.ts.
 */
import type { ThresholdAlerts } from '../core/alerts/alerts.js';
import type { ScheduledBackups } from '../core/backups/scheduled-backups.js';
import type { AutoRecharge } from '../core/payments/auto-recharge.js';
import type { CallProvider } from '../core/calls/provider.js';
import type { WebhookDeliveryWorker } from '../core/events/deliver-webhooks.js';
import type { PaymentProvider } from '../core/payments/provider.js';
import type { Mailer } from '../integrations/mail/smtp-mailer.js';

export interface Services {
  /** Low-balance and depleted alerts, driven by the writer's commits. */
  thresholds?: ThresholdAlerts;
  /** VAPI over HTTP when VAPI_API_KEY is set, else simulated calls. */
  vapi?: CallProvider;
  /** Stripe when its keys are set; absent: the simulated provider (outside production) or none. */
  payments?: PaymentProvider;
  /** Buys the chosen package when available credits fall below the auto-recharge threshold. */
  autoRecharge?: AutoRecharge;
  /** Scheduled backups of the embedded database, when BACKUP_DIR is set (SQLite only). */
  backups?: ScheduledBackups;
  /** Account mails (verification, password reset) when SMTP_URL is set. */
  mailer?: Mailer;
  /** Delivers events to the webhook endpoints. */
  webhooks?: WebhookDeliveryWorker;
}
