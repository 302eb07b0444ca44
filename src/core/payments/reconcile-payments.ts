/**
 * `credits reconcile`: the succeeded payments and the refunds of a period as Stripe lists
 * them, compared with the database, every difference named. Stripe's side is read through
 * the SDK's list calls; a payment outside the period that one side names is re-read one by
 * one, so a payment created at the period's edge is not reported for the edge alone.
 */
import type { Kysely } from 'kysely';
import { formatCents } from '../../contracts/money.js';
import type { DB, PaymentRow } from '../../db/schema.js';
import type { IntentFacts, PaymentRecords } from './provider.js';

export type DifferenceKind =
  /** Stripe has a succeeded payment the database does not hold. */
  | 'missing_in_database'
  /** The database holds it but never granted it (pending or failed). */
  | 'not_credited'
  /** The database granted a payment that Stripe does not have as succeeded. */
  | 'not_succeeded_in_stripe'
  /** The amounts or currencies differ. */
  | 'amount'
  /** What was refunded differs. */
  | 'refunded';

export interface Difference {
  kind: DifferenceKind;
  paymentId: string | null;
  intentId: string | null;
  message: string;
}

export interface Reconciliation {
  from: number;
  to: number;
  /** Succeeded PaymentIntents Stripe lists for the period. */
  stripePayments: number;
  /** Refunds Stripe lists for the period. */
  stripeRefunds: number;
  /** Succeeded Stripe payments the database holds for the period. */
  databasePayments: number;
  differences: Difference[];
}

const GRANTED = ['succeeded', 'partially_refunded', 'refunded', 'disputed'] as const;
const isGranted = (p: PaymentRow) => (GRANTED as readonly string[]).includes(p.status);
const day = (ms: number) => new Date(ms).toISOString();

/** Compares the payments and refunds of [from, to) in the database with Stripe's; every difference, none when they agree. */
export async function reconcilePayments(
  db: Kysely<DB>,
  stripe: PaymentRecords,
  range: { from: number; to: number },
): Promise<Reconciliation> {
  const differences: Difference[] = [];
  const compared = new Set<string>();
  const stripeSucceeded: IntentFacts[] = [];
  for await (const pi of stripe.listIntents(range)) if (pi.status === 'succeeded') stripeSucceeded.push(pi);
  const refundedIntents = new Set<string>();
  let stripeRefunds = 0;
  for await (const r of stripe.listRefunds(range)) {
    if (r.status !== 'succeeded') continue;
    stripeRefunds++;
    if (r.paymentIntentId) refundedIntents.add(r.paymentIntentId);
  }
  const inRange = await db
    .selectFrom('stripe_payments')
    .selectAll()
    .where('provider', '=', 'stripe')
    .where((eb) =>
      eb.or([
        eb.and([eb('created_at', '>=', range.from), eb('created_at', '<', range.to)]),
        eb.and([eb('refunded_cents', '>', 0), eb('updated_at', '>=', range.from), eb('updated_at', '<', range.to)]),
      ]),
    )
    .execute();

  const paymentOf = async (pi: IntentFacts): Promise<PaymentRow | undefined> => {
    const byIntent = await db.selectFrom('stripe_payments').selectAll().where('stripe_payment_intent_id', '=', pi.id).executeTakeFirst();
    if (byIntent || !pi.paymentId) return byIntent;
    return db.selectFrom('stripe_payments').selectAll().where('id', '=', pi.paymentId).executeTakeFirst();
  };
  const money = (cents: number, currency: string) => formatCents(cents, currency);

  /** One succeeded intent against its payment. */
  const compare = async (pi: IntentFacts) => {
    compared.add(pi.id);
    const p = await paymentOf(pi);
    const at = pi.createdAt ? ` created ${day(pi.createdAt)}` : '';
    if (!p) {
      differences.push({
        kind: 'missing_in_database',
        paymentId: pi.paymentId,
        intentId: pi.id,
        message: `Stripe has ${pi.id} succeeded (${money(pi.amountCents, pi.currency)}${at}); the database has no payment for it: resend its payment_intent.succeeded event`,
      });
      return;
    }
    if (!isGranted(p)) {
      differences.push({
        kind: 'not_credited',
        paymentId: p.id,
        intentId: pi.id,
        message: `Stripe has ${pi.id} succeeded; the database has payment ${p.id} ${p.status}, its credits never granted: resend its payment_intent.succeeded event`,
      });
    }
    if (pi.amountCents !== p.amount_cents || pi.currency.toLowerCase() !== p.currency.toLowerCase()) {
      differences.push({
        kind: 'amount',
        paymentId: p.id,
        intentId: pi.id,
        message: `Stripe charged ${money(pi.amountCents, pi.currency)} for ${pi.id}; the database has ${money(p.amount_cents, p.currency)} for payment ${p.id}`,
      });
    }
    const refunded = pi.refundedCents ?? 0;
    if (refunded !== p.refunded_cents) {
      differences.push({
        kind: 'refunded',
        paymentId: p.id,
        intentId: pi.id,
        message: `Stripe has refunded ${money(refunded, pi.currency)} of ${pi.id}; the database has ${money(p.refunded_cents, p.currency)} refunded for payment ${p.id}`,
      });
    }
  };
  /** An intent one side names that the period's list did not give (created outside it), re-read. */
  const reread = async (intentId: string): Promise<IntentFacts | null> => {
    try {
      return await stripe.retrieveIntent(intentId);
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return null;
      throw e;
    }
  };

  for (const pi of stripeSucceeded) await compare(pi);
  for (const p of inRange) {
    if (!isGranted(p) || (p.stripe_payment_intent_id && compared.has(p.stripe_payment_intent_id))) continue;
    const pi = p.stripe_payment_intent_id ? await reread(p.stripe_payment_intent_id) : null;
    if (pi?.status !== 'succeeded') {
      differences.push({
        kind: 'not_succeeded_in_stripe',
        paymentId: p.id,
        intentId: p.stripe_payment_intent_id,
        message: `the database has payment ${p.id} ${p.status} (${money(p.amount_cents, p.currency)}, created ${day(p.created_at)}); Stripe has ${pi ? `${pi.id} ${pi.status}` : p.stripe_payment_intent_id ? `no PaymentIntent ${p.stripe_payment_intent_id}` : 'no PaymentIntent for it'}`,
      });
      continue;
    }
    await compare(pi);
  }
  for (const intentId of refundedIntents) {
    if (compared.has(intentId)) continue;
    const pi = await reread(intentId);
    if (pi?.status === 'succeeded') await compare(pi);
  }
  return {
    from: range.from,
    to: range.to,
    stripePayments: stripeSucceeded.length,
    stripeRefunds,
    databasePayments: inRange.filter((p) => isGranted(p) && p.created_at >= range.from && p.created_at < range.to).length,
    differences,
  };
}
