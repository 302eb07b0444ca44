/** Stripe payments, what came back out of them, and the provider events received. (src/db/schema.ts gathers every table into the DB interface.) */
export type PaymentStatus = 'pending' | 'succeeded' | 'failed' | 'refunded' | 'partially_refunded' | 'disputed';

export interface StripePaymentsTable {
  id: string;
  /** The account's id that bought (accounts.id, migration 019; a personal account's id is its user's). */
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
  /** The user who bought it (migration 022): the organisation's owner or admin on an organisation; null before 022, for auto-recharge and for a payment recovered from its PaymentIntent alone. */
  bought_by: string | null;
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
