/**
 * The closed lists of the contract as plain values, without zod: the schemas build their
 * enums from them, and the dashboard imports them (and only them, with the types) so its
 * bundle does not carry the schemas.
 */

export const ROLES = ['user', 'admin', 'super_admin'] as const;

export const TRANSACTION_TYPES = [
  'purchase',
  'bonus',
  'signup_bonus',
  'auto_recharge',
  'adjustment',
  'usage',
  'reservation',
  'release',
  'refund',
  'dispute',
  'expiry',
] as const;

export const PAYMENT_STATUSES = ['pending', 'succeeded', 'failed', 'refunded', 'partially_refunded', 'disputed'] as const;

export const PAYMENT_PROVIDERS = ['stripe', 'simulated'] as const;

export const DISPUTE_STATUSES = ['open', 'won', 'lost'] as const;

/** What a received Stripe event did: `unrecorded` for one received before outcomes were kept. */
export const WEBHOOK_EVENT_OUTCOMES = ['applied', 'ignored', 'unrecorded'] as const;

/** What GET /api/config says takes payments: a payment provider, or `none` in production without Stripe. */
export const PAYMENTS_PROVIDERS = [...PAYMENT_PROVIDERS, 'none'] as const;

/** The kinds of in-app alerts; `backup_failed` (a scheduled backup of the embedded database failed) goes to admins only. */
export const ALERT_TYPES = [
  'low_balance',
  'depleted',
  'purchase_succeeded',
  'payment_failed',
  'auto_recharge_succeeded',
  'auto_recharge_failed',
  'refund',
  'backup_failed',
  'credits_expired',
  'member_limit_reached',
] as const;

/** Where a grant's credits came from. */
export const GRANT_SOURCES = ['purchase', 'bonus', 'signup_bonus', 'promo', 'adjustment', 'auto_recharge'] as const;

/** A call's status in VAPI's words. */
export const CALL_STATUSES = ['queued', 'in-progress', 'ending', 'ended', 'failed'] as const;

export const GRANULARITIES = ['day', 'hour'] as const;

/** The types of events sent to webhook endpoints (docs/events.md has an example body of each). */
export const EVENT_TYPES = [
  'credits.purchased',
  'credits.refunded',
  'credits.granted',
  'credits.expired',
  'balance.low',
  'balance.depleted',
  'hold.expired',
  'payment.failed',
  'auto_recharge.succeeded',
  'auto_recharge.failed',
  'member.limit_reached',
  'backup.failed',
] as const;

/** A webhook delivery: `pending` (to be tried or retried), `succeeded` (a 2xx), `failed` (gave up). */
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
