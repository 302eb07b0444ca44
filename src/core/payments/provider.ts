/** What the service asks of a card processor (Stripe in production, a stand-in in tests). */
export interface IntentFacts {
  id: string;
  status: string;
  amountCents: number;
  currency: string;
  chargeId: string | null;
  paymentId: string | null;
  lastError: string | null;
  /** The intent's metadata as Stripe keeps it (see intent-metadata.ts). */
  metadata?: Record<string, string>;
  /** The Stripe customer charged. */
  customerId?: string | null;
  /** When the intent was created (Unix ms). */
  createdAt?: number;
  /** The receipt of its charge (the charge's `receipt_url`), once charged. */
  receiptUrl?: string | null;
  /** What its charge has refunded so far (the charge's `amount_refunded`), when the charge was read with it. */
  refundedCents?: number;
}

export interface RefundFacts {
  id: string;
  paymentIntentId: string | null;
  amountCents: number;
  status: string;
  createdAt: number;
}

/** What the processor lists, for reconciliation with the database (`credits reconcile`). */
export interface PaymentRecords {
  /** Every PaymentIntent created in [from, to) (Unix ms), its charge's refunded amount included. */
  listIntents(range: { from: number; to: number }): AsyncIterable<IntentFacts>;
  /** Every refund created in [from, to). */
  listRefunds(range: { from: number; to: number }): AsyncIterable<RefundFacts>;
  /** One intent, its charge's refunded amount included; rejects with statusCode 404 when Stripe has none. */
  retrieveIntent(id: string): Promise<IntentFacts>;
}

export interface ChargeFacts {
  id: string;
  amountCents: number;
  amountRefundedCents: number;
  paymentIntentId: string | null;
}

export interface IntentInput {
  paymentId: string;
  userId: string;
  customerId: string;
  amountCents: number;
  currency: string;
  description: string;
  /** Written on the intent so the payment can be rebuilt from Stripe (intent-metadata.ts). */
  metadata?: Record<string, string>;
}

export interface PaymentProvider {
  /** The customer id for this user, created once (the Stripe idempotency key is derived from the user). */
  ensureCustomer(user: { id: string; email: string; name: string; customerId: string | null }): Promise<string>;
  /** A PaymentIntent for the payment; its idempotency key is derived from the payment id. */
  createIntent(input: IntentInput): Promise<{ id: string; clientSecret: string }>;
  retrieveIntent(id: string): Promise<IntentFacts>;
  retrieveCharge(id: string): Promise<ChargeFacts>;
  /** Refunds `amountCents` of the payment's intent; `key` makes a repeat of the same refund a no-op. */
  refund(input: { intentId: string; amountCents: number; key: string }): Promise<void>;
  /**
   * Charges the customer's saved card without them present (auto-recharge). Resolves with
   * the intent as Stripe has it (its status says whether it succeeded); rejects with
   * ChargeFailed when nothing was charged (a decline), and with anything else — normally
   * ChargeUnconfirmed — when the charge may have happened.
   */
  chargeOffSession(input: IntentInput): Promise<IntentFacts>;
  /**
   * The intent created for `paymentId` (its metadata names it) among the customer's intents
   * created since `createdAfter` (Unix ms); null when Stripe has none.
   */
  findIntent(input: { customerId: string; paymentId: string; createdAfter: number }): Promise<IntentFacts | null>;
  /** Verifies a webhook's signature over the raw body; throws when it does not hold. */
  verifyWebhook(rawBody: Buffer, signature: string | undefined): { id: string; type: string; data: { object: Record<string, unknown> } };
}

/** The processor did not charge: a card decline, no saved card, a request it refused. Safe to try again later. */
export class ChargeFailed extends Error {}

/**
 * Whether the charge happened is not known: no answer after the SDK's retries, a 5xx, the
 * intent created but not re-read. The payment stays pending until the intent is re-read
 * (`intentId` when known) or Stripe's webhook tells; it is never treated as a decline.
 */
export class ChargeUnconfirmed extends Error {
  constructor(
    message: string,
    readonly intentId: string | null,
  ) {
    super(message);
  }
}
