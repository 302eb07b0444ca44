/** What the service asks of a card processor (Stripe in production, a stand-in in tests). */
export interface IntentFacts {
  id: string;
  status: string;
  amountCents: number;
  currency: string;
  chargeId: string | null;
  paymentId: string | null;
  lastError: string | null;
}

export interface ChargeFacts {
  id: string;
  amountCents: number;
  amountRefundedCents: number;
  paymentIntentId: string | null;
}

export interface PaymentProvider {
  /** The customer id for this user, created once (the Stripe idempotency key is derived from the user). */
  ensureCustomer(user: { id: string; email: string; name: string; customerId: string | null }): Promise<string>;
  /** A PaymentIntent for the payment; its idempotency key is derived from the payment id. */
  createIntent(input: { paymentId: string; userId: string; customerId: string; amountCents: number; currency: string; description: string }): Promise<{ id: string; clientSecret: string }>;
  retrieveIntent(id: string): Promise<IntentFacts>;
  retrieveCharge(id: string): Promise<ChargeFacts>;
  /** Refunds `amountCents` of the payment's intent; `key` makes a repeat of the same refund a no-op. */
  refund(input: { intentId: string; amountCents: number; key: string }): Promise<void>;
  /**
   * Charges the customer's saved card without them present (auto-recharge). Resolves with
   * the intent when Stripe accepted it; rejects with the decline message otherwise.
   */
  chargeOffSession(input: { paymentId: string; userId: string; customerId: string; amountCents: number; currency: string; description: string }): Promise<IntentFacts>;
  /** Verifies a webhook's signature over the raw body; throws when it does not hold. */
  verifyWebhook(rawBody: Buffer, signature: string | undefined): { id: string; type: string; data: { object: Record<string, unknown> } };
}
