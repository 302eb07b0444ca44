/**
 * The Stripe side of payments, through the official SDK with a pinned API version.
 * STRIPE_API_BASE (host, port, protocol) points the SDK at a local stand-in in tests.
 */
import Stripe from 'stripe';
import type { ChargeFacts, IntentFacts, PaymentProvider } from '../../core/payments/provider.js';

export const STRIPE_API_VERSION = '2026-10-28.endive';
const TOLERANCE_SECONDS = 300;

export class StripeProvider implements PaymentProvider {
  readonly stripe: Stripe;
  constructor(
    secretKey: string,
    private readonly webhookSecret: string,
    apiBase?: string,
  ) {
    const base = apiBase ? new URL(apiBase) : null;
    this.stripe = new Stripe(secretKey, {
      apiVersion: STRIPE_API_VERSION,
      maxNetworkRetries: 2,
      timeout: 20_000,
      ...(base
        ? {
            host: base.hostname,
            port: base.port || (base.protocol === 'http:' ? 80 : 443),
            protocol: base.protocol.replace(':', '') as 'http' | 'https',
          }
        : {}),
    });
  }

  async ensureCustomer(user: { id: string; email: string; name: string; customerId: string | null }): Promise<string> {
    if (user.customerId) return user.customerId;
    const c = await this.stripe.customers.create(
      { email: user.email, name: user.name, metadata: { userId: user.id } },
      { idempotencyKey: `customer-${user.id}` },
    );
    return c.id;
  }

  async createIntent(input: { paymentId: string; userId: string; customerId: string; amountCents: number; currency: string; description: string }) {
    const pi = await this.stripe.paymentIntents.create(
      {
        amount: input.amountCents,
        currency: input.currency,
        customer: input.customerId,
        description: input.description,
        metadata: { paymentId: input.paymentId, userId: input.userId },
        automatic_payment_methods: { enabled: true },
        setup_future_usage: 'off_session',
      },
      { idempotencyKey: `payment-intent-${input.paymentId}` },
    );
    if (!pi.client_secret) throw new Error('Stripe answered without a client secret.');
    return { id: pi.id, clientSecret: pi.client_secret };
  }

  async chargeOffSession(input: { paymentId: string; userId: string; customerId: string; amountCents: number; currency: string; description: string }): Promise<IntentFacts> {
    const methods = await this.stripe.paymentMethods.list({ customer: input.customerId, type: 'card', limit: 1 });
    const method = methods.data[0];
    if (!method) throw new Error('No saved card for this customer.');
    const pi = await this.stripe.paymentIntents.create(
      {
        amount: input.amountCents,
        currency: input.currency,
        customer: input.customerId,
        payment_method: method.id,
        off_session: true,
        confirm: true,
        description: input.description,
        metadata: { paymentId: input.paymentId, userId: input.userId, kind: 'auto_recharge' },
      },
      { idempotencyKey: `payment-intent-${input.paymentId}` },
    );
    return this.retrieveIntent(pi.id);
  }

  async retrieveIntent(id: string): Promise<IntentFacts> {
    const pi = await this.stripe.paymentIntents.retrieve(id);
    const charge = pi.latest_charge;
    return {
      id: pi.id,
      status: pi.status,
      amountCents: pi.amount,
      currency: pi.currency,
      chargeId: typeof charge === 'string' ? charge : (charge?.id ?? null),
      paymentId: pi.metadata?.paymentId ?? null,
      lastError: pi.last_payment_error?.message ?? null,
    };
  }

  async retrieveCharge(id: string): Promise<ChargeFacts> {
    const ch = await this.stripe.charges.retrieve(id);
    const pi = ch.payment_intent;
    return {
      id: ch.id,
      amountCents: ch.amount,
      amountRefundedCents: ch.amount_refunded,
      paymentIntentId: typeof pi === 'string' ? pi : (pi?.id ?? null),
    };
  }

  async refund(input: { intentId: string; amountCents: number; key: string }): Promise<void> {
    await this.stripe.refunds.create({ payment_intent: input.intentId, amount: input.amountCents }, { idempotencyKey: input.key });
  }

  verifyWebhook(rawBody: Buffer, signature: string | undefined) {
    if (!signature) throw new Error('missing Stripe-Signature');
    const e = this.stripe.webhooks.constructEvent(rawBody, signature, this.webhookSecret, TOLERANCE_SECONDS);
    return e as unknown as { id: string; type: string; data: { object: Record<string, unknown> } };
  }
}
