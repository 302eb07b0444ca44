import { DomainError } from '../errors.js';

/** Which provider takes payments: Stripe when configured, else the simulated one where allowed, else none. */
export type PaymentsMode = 'stripe' | 'simulated' | 'none';

export function paymentsMode(o: { stripe: boolean; isProduction: boolean; allowSimulated: boolean }): PaymentsMode {
  if (o.stripe) return 'stripe';
  return !o.isProduction || o.allowSimulated ? 'simulated' : 'none';
}

/** Refuses a purchase when no provider may take it (production without Stripe nor ALLOW_SIMULATED_PAYMENTS). */
export function requirePayments(mode: PaymentsMode): void {
  if (mode === 'none') throw new DomainError('payments_unavailable', 'Payments are not available on this server.');
}
