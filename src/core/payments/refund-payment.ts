import { DomainError, notFound } from '../errors.js';
import type { Core } from '../index.js';
import { type RefundKey, type RefundOutcome, refundSimulated } from './payment-events.js';
import type { PaymentProvider } from './provider.js';
import { refundWithProvider } from './stripe-flows.js';

export interface RefundRequest {
  paymentId: string;
  /** The whole remaining amount when absent. */
  amountCents: number | undefined;
  actorId: string;
  /** The request's idempotency key (null: none). */
  key: string | null;
  /** With a key: how a simulated refund stores it with its reply, in its own transaction. */
  idem?: RefundKey | undefined;
}

/**
 * An admin's refund, through the provider that took the payment: a simulated payment is
 * refunded at once; a Stripe one through Stripe (payments_unavailable when Stripe is not
 * configured here). Takes back the refunded share of the credits the payment granted.
 */
export async function refundPayment(core: Core, stripe: PaymentProvider | undefined, r: RefundRequest): Promise<RefundOutcome> {
  const p = await core.database.db.selectFrom('stripe_payments').select('provider').where('id', '=', r.paymentId).executeTakeFirst();
  if (!p) throw notFound('Payment');
  if (p.provider === 'simulated') return refundSimulated(core, r.paymentId, r.amountCents, r.actorId, r.idem);
  if (!stripe) throw new DomainError('payments_unavailable', 'Stripe is not configured on this server.');
  return { payment: await refundWithProvider(core, stripe, r.paymentId, r.amountCents, r.actorId, r.key), replayed: false };
}
