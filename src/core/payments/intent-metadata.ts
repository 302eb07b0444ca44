/**
 * What a PaymentIntent carries about its payment, so that the payment can be rebuilt from
 * Stripe alone when the database lost it (a restore of a backup taken before the purchase):
 * the payment's id, its account, its package and what it grants, its price, and who bought
 * it (an organisation's payment is bought by one of its members). Written by the
 * service with its secret key when it creates the intent; a browser holding the publishable
 * key cannot change it. Read back only from an intent re-read from Stripe, never from an
 * event's body.
 */
import type { PaymentRow } from '../../db/schema.js';
import type { IntentFacts } from './provider.js';
import { UNTOUCHED_PAYMENT } from './purchase-credits.js';

export type IntentMetadata = Record<string, string>;

/** The metadata written on a payment's PaymentIntent. */
export function intentMetadata(p: PaymentRow): IntentMetadata {
  return {
    paymentId: p.id,
    userId: p.user_id,
    packageId: p.package_id,
    kind: p.kind,
    creditsMc: String(p.credits_mc),
    bonusMc: String(p.bonus_credits_mc),
    priceCents: String(p.amount_cents),
    currency: p.currency,
    ...(p.bought_by ? { boughtBy: p.bought_by } : {}),
  };
}

const count = (v: string | undefined) => (v !== undefined && /^\d{1,15}$/.test(v) ? Number(v) : null);

/**
 * The payment an intent was created for, rebuilt from its metadata as it was before any
 * money moved (pending, nothing refunded or disputed), dated when the intent was created;
 * null when the metadata does not name a whole payment (an intent created by a release
 * before metadata carried the package, or not by this service).
 */
export function paymentFromIntent(intent: IntentFacts, now: number): PaymentRow | null {
  const m = intent.metadata ?? {};
  const creditsMc = count(m.creditsMc);
  const bonusMc = count(m.bonusMc);
  const priceCents = count(m.priceCents);
  if (!m.paymentId || !m.userId || !m.packageId || creditsMc === null || bonusMc === null || priceCents === null) return null;
  const at = intent.createdAt ?? now;
  return {
    id: m.paymentId,
    user_id: m.userId,
    package_id: m.packageId,
    provider: 'stripe',
    status: 'pending',
    kind: m.kind === 'auto_recharge' ? 'auto_recharge' : 'purchase',
    amount_cents: priceCents,
    currency: (m.currency ?? intent.currency).toLowerCase(),
    credits_mc: creditsMc,
    bonus_credits_mc: bonusMc,
    stripe_payment_intent_id: intent.id,
    stripe_charge_id: intent.chargeId,
    ...UNTOUCHED_PAYMENT,
    // Checked against the users table by the recovery (a buyer the database does not hold is null).
    bought_by: m.boughtBy || null,
    created_at: at,
    updated_at: now,
  };
}
