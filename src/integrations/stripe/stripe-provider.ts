/**
 * The Stripe side of payments, through the official SDK with a pinned API version.
 * STRIPE_API_BASE (host, port, protocol) points the SDK at a local stand-in in tests.
 */
import Stripe from 'stripe';
import {
  ChargeFailed,
  type ChargeFacts,
  type IntentFacts,
  type IntentInput,
  type PaymentProvider,
  type PaymentRecords,
  type RefundFacts,
  ChargeUnconfirmed,
} from '../../core/payments/provider.js';

export const STRIPE_API_VERSION = '2026-10-28.endive';
const TOLERANCE_SECONDS = 300;

/**
 * Stripe refused the request, so nothing was charged: a card decline, or another 4xx (an
 * invalid or unauthorised request, a rate limit). Not a 409: Stripe answers it while a
 * request with the same idempotency key is still being processed.
 */
function notCharged(e: unknown): boolean {
  if (e instanceof Stripe.errors.StripeCardError) return true;
  const status = e instanceof Stripe.errors.StripeError ? e.statusCode : undefined;
  return status !== undefined && status >= 400 && status < 500 && status !== 409;
}

function intentFacts(pi: Stripe.PaymentIntent): IntentFacts {
  const charge = pi.latest_charge;
  return {
    id: pi.id,
    status: pi.status,
    amountCents: pi.amount,
    currency: pi.currency,
    chargeId: typeof charge === 'string' ? charge : (charge?.id ?? null),
    paymentId: pi.metadata?.paymentId ?? null,
    lastError: pi.last_payment_error?.message ?? null,
    metadata: { ...(pi.metadata ?? {}) },
    customerId: typeof pi.customer === 'string' ? pi.customer : (pi.customer?.id ?? null),
    createdAt: typeof pi.created === 'number' ? pi.created * 1000 : undefined,
    receiptUrl: charge && typeof charge === 'object' ? (charge.receipt_url ?? null) : null,
    ...(charge && typeof charge === 'object' ? { refundedCents: charge.amount_refunded } : {}),
  };
}

const seconds = (range: { from: number; to: number }) => ({ gte: Math.floor(range.from / 1000), lt: Math.ceil(range.to / 1000) });

export class StripeProvider implements PaymentProvider, PaymentRecords {
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

  async createIntent(input: IntentInput) {
    const pi = await this.stripe.paymentIntents.create(
      {
        amount: input.amountCents,
        currency: input.currency,
        customer: input.customerId,
        description: input.description,
        metadata: { ...input.metadata, paymentId: input.paymentId, userId: input.userId },
        automatic_payment_methods: { enabled: true },
        setup_future_usage: 'off_session',
      },
      { idempotencyKey: `payment-intent-${input.paymentId}` },
    );
    if (!pi.client_secret) throw new Error('Stripe answered without a client secret.');
    return { id: pi.id, clientSecret: pi.client_secret };
  }

  async chargeOffSession(input: IntentInput): Promise<IntentFacts> {
    let pi: Stripe.PaymentIntent;
    try {
      const methods = await this.stripe.paymentMethods.list({ customer: input.customerId, type: 'card', limit: 1 });
      const method = methods.data[0];
      if (!method) throw new ChargeFailed('No saved card for this customer.');
      pi = await this.stripe.paymentIntents.create(
        {
          amount: input.amountCents,
          currency: input.currency,
          customer: input.customerId,
          payment_method: method.id,
          off_session: true,
          confirm: true,
          description: input.description,
          metadata: { ...input.metadata, paymentId: input.paymentId, userId: input.userId, kind: 'auto_recharge' },
        },
        { idempotencyKey: `payment-intent-${input.paymentId}` },
      );
    } catch (e) {
      if (e instanceof ChargeFailed || notCharged(e)) throw e instanceof ChargeFailed ? e : new ChargeFailed((e as Error).message);
      // No answer after the SDK's retries, a 5xx, an idempotency conflict: Stripe may have charged.
      throw new ChargeUnconfirmed(`Stripe did not confirm the charge: ${(e as Error).message}`, null);
    }
    try {
      return await this.retrieveIntent(pi.id);
    } catch (e) {
      throw new ChargeUnconfirmed(`The charge's PaymentIntent could not be re-read: ${(e as Error).message}`, pi.id);
    }
  }

  async findIntent(input: { customerId: string; paymentId: string; createdAfter: number }): Promise<IntentFacts | null> {
    const list = this.stripe.paymentIntents.list({
      customer: input.customerId,
      created: { gte: Math.floor(input.createdAfter / 1000) },
      limit: 100,
    });
    for await (const pi of list) {
      if (pi.metadata?.paymentId === input.paymentId) return this.retrieveIntent(pi.id);
    }
    return null;
  }

  async retrieveIntent(id: string): Promise<IntentFacts> {
    return intentFacts(await this.stripe.paymentIntents.retrieve(id, { expand: ['latest_charge'] }));
  }

  async *listIntents(range: { from: number; to: number }): AsyncIterable<IntentFacts> {
    for await (const pi of this.stripe.paymentIntents.list({ created: seconds(range), limit: 100, expand: ['data.latest_charge'] }))
      yield intentFacts(pi);
  }

  async *listRefunds(range: { from: number; to: number }): AsyncIterable<RefundFacts> {
    for await (const r of this.stripe.refunds.list({ created: seconds(range), limit: 100 })) {
      const pi = r.payment_intent;
      yield {
        id: r.id,
        paymentIntentId: typeof pi === 'string' ? pi : (pi?.id ?? null),
        amountCents: r.amount,
        status: r.status ?? 'succeeded',
        createdAt: r.created * 1000,
      };
    }
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
