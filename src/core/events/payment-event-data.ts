import type { Selectable } from 'kysely';
import { mcToCredits } from '../../contracts/money.js';
import type { StripePaymentsTable } from '../../db/schema.js';

type Payment = Pick<
  Selectable<StripePaymentsTable>,
  'id' | 'user_id' | 'package_id' | 'provider' | 'amount_cents' | 'currency' | 'credits_mc' | 'bonus_credits_mc'
>;

/** The `data` of an event about a payment: who, which package, how much, in what currency. */
export function paymentEventData(p: Payment, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    accountId: p.user_id,
    paymentId: p.id,
    packageId: p.package_id,
    provider: p.provider,
    amountCents: p.amount_cents,
    currency: p.currency,
    credits: mcToCredits(p.credits_mc + p.bonus_credits_mc),
    ...extra,
  };
}
