import { createAlert } from '../alerts/alerts.js';
import { recordAudit } from '../audit/record-audit.js';
import { invalid, notFound } from '../errors.js';
import type { Core } from '../index.js';
import type { PaymentRow, PaymentStatus } from '../../db/schema.js';
import { formatCents, formatCredits } from '../money.js';

/**
 * The credits to take back when a payment's cumulative refunded amount reaches
 * `refundedCents`: its share of what the payment granted (package plus bonus), rounded
 * down to the millicredit, all of it on a full refund.
 */
export function refundShareMc(p: Pick<PaymentRow, 'amount_cents' | 'credits_mc' | 'bonus_credits_mc'>, refundedCents: number): number {
  const granted = p.credits_mc + p.bonus_credits_mc;
  if (refundedCents >= p.amount_cents) return granted;
  return Number((BigInt(granted) * BigInt(refundedCents)) / BigInt(p.amount_cents));
}

/**
 * Records that a payment's cumulative refunded amount is now `refundedCents` and claws
 * back the difference between its share and what was already taken, in one transaction.
 * Called with the same cumulative figure twice (the API answer and the webhook), it takes
 * the credits once.
 */
export async function applyRefund(
  core: Core,
  paymentId: string,
  refund: { cumulativeCents: number } | { incrementCents: number },
  actor: { actorId: string | null; source: string },
): Promise<PaymentRow> {
  return core.writer.transaction(async ({ trx, now, apply }) => {
    let q = trx.selectFrom('stripe_payments').selectAll().where('id', '=', paymentId);
    if (core.database.dialect === 'postgres') q = q.forUpdate();
    const p = await q.executeTakeFirst();
    if (!p) throw notFound('Payment');
    if ('incrementCents' in refund && refund.incrementCents > p.amount_cents - p.refunded_cents) {
      throw invalid(`At most ${formatCents(p.amount_cents - p.refunded_cents, p.currency)} remains to refund.`, {
        fields: [{ path: 'body.amountCents', message: 'more than remains' }],
      });
    }
    const wanted = 'incrementCents' in refund ? p.refunded_cents + refund.incrementCents : refund.cumulativeCents;
    const cumulative = Math.min(Math.max(wanted, p.refunded_cents), p.amount_cents);
    if (cumulative === p.refunded_cents) return p;
    const target = refundShareMc(p, cumulative);
    const takeMc = Math.max(0, target - p.clawed_back_mc);
    if (takeMc > 0) {
      const [r] = await apply([
        {
          kind: 'clawback',
          userId: p.user_id,
          amountMc: takeMc,
          type: 'refund',
          description: `Refund of ${formatCents(cumulative - p.refunded_cents, p.currency)}`,
          refType: 'payment',
          refId: p.id,
        },
      ]);
      if (r && !r.ok) throw r.error;
    }
    const status: PaymentStatus = cumulative >= p.amount_cents ? 'refunded' : 'partially_refunded';
    const next = { ...p, refunded_cents: cumulative, clawed_back_mc: p.clawed_back_mc + takeMc, status, updated_at: now };
    await trx
      .updateTable('stripe_payments')
      .set({ refunded_cents: next.refunded_cents, clawed_back_mc: next.clawed_back_mc, status, updated_at: now })
      .where('id', '=', p.id)
      .execute();
    await createAlert(
      trx,
      p.user_id,
      'refund',
      `${formatCents(cumulative - p.refunded_cents, p.currency)} of your payment was refunded; ${formatCredits(takeMc)} credits were taken back.`,
      now,
      { paymentId: p.id },
    );
    await recordAudit(trx, { actorId: actor.actorId, action: 'payment.refund', targetType: 'payment', targetId: p.id, details: { refundedCents: cumulative, clawedBackMc: takeMc, source: actor.source } }, now);
    return next;
  });
}

/** Refunds a payment by hand (whole by default). More than what remains is refused. */
export async function refundPayment(core: Core, paymentId: string, amountCents: number | undefined, actorId: string): Promise<PaymentRow> {
  const p = await core.database.db.selectFrom('stripe_payments').selectAll().where('id', '=', paymentId).executeTakeFirst();
  if (!p) throw notFound('Payment');
  if (p.status !== 'succeeded' && p.status !== 'partially_refunded') {
    throw invalid(`A ${p.status} payment cannot be refunded.`, { fields: [{ path: 'id', message: `payment is ${p.status}` }] });
  }
  const remaining = p.amount_cents - p.refunded_cents;
  const amount = amountCents ?? remaining;
  if (amount > remaining) {
    throw invalid(`At most ${formatCents(remaining, p.currency)} remains to refund.`, { fields: [{ path: 'body.amountCents', message: 'more than remains' }] });
  }
  // The simulated provider refunds at once; a real provider would be asked here first.
  return applyRefund(core, paymentId, { incrementCents: amount }, { actorId, source: 'admin' });
}
