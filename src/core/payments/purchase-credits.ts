import type { Kysely } from 'kysely';
import type { Core } from '../index.js';
import type { DB, PackageRow, PaymentRow } from '../../db/schema.js';
import { createAlert } from '../alerts/alerts.js';
import { emitEvent } from '../events/emit-event.js';
import { paymentEventData } from '../events/payment-event-data.js';
import { DomainError, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { Applied, IdempotencyInput, LedgerOp } from '../ledger/types.js';
import { formatCredits } from '../../contracts/money.js';
import { forSale } from '../catalog/for-sale.js';

export type PaymentsProviderName = 'stripe' | 'simulated' | 'none';

/** How long a package's credits and bonus last (days; null: never). */
export type PackageExpiry = Pick<PackageRow, 'credits_expire_in_days' | 'bonus_expire_in_days'>;

const DAY_MS = 86_400_000;

/** When a grant made at `now` expires, `days` later (null: never). */
function expiresAfter(days: number | null | undefined, now: number): number | null {
  return days ? now + days * DAY_MS : null;
}

/** The expiry terms of a payment's package, read when the payment is fulfilled (none if the package is gone). */
export async function packageExpiry(db: Kysely<DB>, packageId: string): Promise<PackageExpiry | undefined> {
  return db
    .selectFrom('credit_packages')
    .select(['credits_expire_in_days', 'bonus_expire_in_days'])
    .where('id', '=', packageId)
    .executeTakeFirst();
}

/**
 * The ledger operation that grants a paid package: its credits and its bonus, as two rows.
 * `now` is when the payment succeeded: the package's credits expire `credits_expire_in_days`
 * after it, its bonus `bonus_expire_in_days` after it (null: never).
 */
export function fulfilmentOp(p: PaymentRow, terms: PackageExpiry | undefined, now: number, idem?: IdempotencyInput): LedgerOp {
  // On an organisation's account, the member who bought names both rows (API.md: every row of
  // an organisation records the member who caused it); a personal purchase and an
  // auto-recharge name none.
  const memberId = p.bought_by !== null && p.bought_by !== p.user_id ? p.bought_by : null;
  const steps: LedgerOp[] = [
    {
      kind: 'credit',
      userId: p.user_id,
      amountMc: p.credits_mc,
      type: p.kind === 'auto_recharge' ? 'auto_recharge' : 'purchase',
      description: 'Credit purchase',
      refType: 'payment',
      refId: p.id,
      memberId,
      // The package's price is what its (paid) credits are worth; the bonus is worth nothing.
      grant: { valueCents: p.amount_cents, expiresAt: expiresAfter(terms?.credits_expire_in_days, now) },
    },
  ];
  if (p.bonus_credits_mc > 0) {
    steps.push({
      kind: 'credit',
      userId: p.user_id,
      amountMc: p.bonus_credits_mc,
      type: 'bonus',
      description: 'Package bonus',
      refType: 'payment',
      refId: p.id,
      memberId,
      grant: { expiresAt: expiresAfter(terms?.bonus_expire_in_days, now) },
    });
  }
  return {
    kind: 'compound',
    userId: p.user_id,
    steps: steps as Exclude<LedgerOp, { kind: 'compound' }>[],
    idem,
    refType: 'payment',
    refId: p.id,
  };
}

/** What a payment row holds before any refund, dispute or failure touched it. */
export const UNTOUCHED_PAYMENT = {
  refunded_cents: 0,
  clawed_back_mc: 0,
  disputed_mc: 0,
  dispute_clawed_mc: 0,
  failure_message: null,
  dispute_status: null,
  dispute_amount_cents: null,
  receipt_url: null,
  bought_by: null,
} as const satisfies Partial<PaymentRow>;

/** A payment row for a package, before any money moved or any refund or dispute. */
export function newPayment(
  pkg: PackageRow,
  userId: string,
  p: Pick<PaymentRow, 'id' | 'provider' | 'status' | 'kind'>,
  now: number,
  /** The user who buys (null: nobody did, auto-recharge). */
  boughtBy: string | null = null,
): PaymentRow {
  return {
    ...p,
    user_id: userId,
    package_id: pkg.id,
    amount_cents: pkg.price_cents,
    currency: pkg.currency,
    credits_mc: pkg.credits_mc,
    bonus_credits_mc: pkg.bonus_credits_mc,
    stripe_payment_intent_id: null,
    stripe_charge_id: null,
    ...UNTOUCHED_PAYMENT,
    bought_by: boughtBy,
    created_at: now,
    updated_at: now,
  };
}

export async function activePackage(db: Kysely<DB>, packageId: string) {
  const pkg = await db.selectFrom('credit_packages').selectAll().where('id', '=', packageId).$call(forSale).executeTakeFirst();
  if (!pkg) throw notFound('Package');
  return pkg;
}

/**
 * Buys a package with the simulated provider: the payment row, its credits and bonus, the
 * purchase_succeeded alert and the idempotency record commit together, before the answer.
 */
export async function purchaseSimulated(
  core: Core,
  userId: string,
  packageId: string,
  idem: IdempotencyInput<PaymentRow> | undefined,
  /** The signed-in user who buys (an organisation's owner or admin; on a personal account its user). */
  boughtBy: string = userId,
): Promise<{ payment: PaymentRow; applied: Applied<PaymentRow> }> {
  const pkg = await activePackage(core.database.db, packageId);
  return core.writer.transaction(async ({ trx, now, apply }) => {
    const payment = newPayment(
      pkg,
      userId,
      { id: newId(now), provider: 'simulated', status: 'succeeded', kind: 'purchase' },
      now,
      boughtBy,
    );
    // The payment row is written first so the reply stored with the key can name it.
    const [r] = await apply([
      { ...fulfilmentOp(payment, pkg, now), idem: idem && { ...idem, reply: (a: Applied) => idem.reply?.({ ...a, effects: payment }) } },
    ]);
    if (!r) throw new Error('no result');
    if (!r.ok) throw r.error;
    if (r.value.replayed) {
      const prior = (r.value.reply as { body?: { payment?: { id?: string } } } | undefined)?.body?.payment?.id;
      const stored = prior ? await trx.selectFrom('stripe_payments').selectAll().where('id', '=', prior).executeTakeFirst() : undefined;
      if (!stored) throw new DomainError('conflict', 'The purchase this key names could not be found.');
      return { payment: stored, applied: { ...r.value, effects: stored } };
    }
    await trx.insertInto('stripe_payments').values(payment).execute();
    await createAlert(
      trx,
      userId,
      'purchase_succeeded',
      `You bought ${pkg.name}: ${formatCredits(pkg.credits_mc + pkg.bonus_credits_mc)} credits were added.`,
      now,
      {
        paymentId: payment.id,
      },
    );
    await emitEvent(trx, { type: 'credits.purchased', accountId: userId, data: paymentEventData(payment) }, now);
    return { payment, applied: { ...r.value, effects: payment } };
  });
}
