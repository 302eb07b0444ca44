/**
 * What happens to credits when a payment's state changes, whatever order the news
 * arrives in (Stripe retries, reorders and repeats webhooks; the admin's refund answer
 * and its webhook race). Every function runs inside the caller's transaction with the
 * payment row locked, and is idempotent: it compares the payment's recorded state with
 * the new fact and posts only the difference.
 *
 * - fulfil: grants package credits and bonus once; then applies any refund or dispute
 *   that was recorded before the payment succeeded.
 * - refund: the cumulative refunded amount decides the share of credits to take back.
 * - dispute opened: holds the disputed share (a forced hold: it may exceed available).
 * - dispute closed: lost takes the held credits (a `dispute` row), won releases them.
 */
import type { Kysely } from 'kysely';
import type { DB, PaymentRow, PaymentStatus } from '../../db/schema.js';
import { createAlert } from '../alerts/alerts.js';
import { emitEvent } from '../events/emit-event.js';
import { paymentEventData } from '../events/payment-event-data.js';
import { recordAudit } from '../audit/record-audit.js';
import { invalid, notFound } from '../errors.js';
import { storeReply, storedReply } from '../stored-key.js';
import type { Core } from '../index.js';
import type { TransactionScope } from '../ledger/writer.js';
import { formatCents, formatCredits, mcToCredits } from '../../contracts/money.js';
import { fulfilmentOp, packageExpiry } from './purchase-credits.js';
import { rearmAutoRecharge } from './rearm-auto-recharge.js';
import { recordReversal } from './record-reversal.js';

/** The share of what a payment granted (package plus bonus) for `cents` of its amount, rounded down; all of it for the whole amount. */
export function shareMc(p: Pick<PaymentRow, 'amount_cents' | 'credits_mc' | 'bonus_credits_mc'>, cents: number): number {
  const granted = p.credits_mc + p.bonus_credits_mc;
  if (cents >= p.amount_cents) return granted;
  if (cents <= 0) return 0;
  return Number((BigInt(granted) * BigInt(cents)) / BigInt(p.amount_cents));
}

export const disputeHoldId = (paymentId: string) => `dispute_${paymentId}`;

export async function lockPayment(
  scope: TransactionScope,
  dialect: string,
  where: { id?: string; intentId?: string; chargeId?: string },
): Promise<PaymentRow | undefined> {
  let q = scope.trx.selectFrom('stripe_payments').selectAll();
  if (where.id) q = q.where('id', '=', where.id);
  else if (where.intentId) q = q.where('stripe_payment_intent_id', '=', where.intentId);
  else if (where.chargeId) q = q.where('stripe_charge_id', '=', where.chargeId);
  else return undefined;
  if (dialect === 'postgres') q = q.forUpdate();
  return q.executeTakeFirst();
}

async function save(trx: Kysely<DB>, p: PaymentRow, now: number) {
  await trx
    .updateTable('stripe_payments')
    .set({
      status: p.status,
      stripe_charge_id: p.stripe_charge_id,
      refunded_cents: p.refunded_cents,
      clawed_back_mc: p.clawed_back_mc,
      disputed_mc: p.disputed_mc,
      dispute_clawed_mc: p.dispute_clawed_mc,
      dispute_status: p.dispute_status,
      dispute_amount_cents: p.dispute_amount_cents,
      failure_message: p.failure_message,
      receipt_url: p.receipt_url,
      updated_at: now,
    })
    .where('id', '=', p.id)
    .execute();
}

function granted(p: PaymentRow) {
  return p.status !== 'pending' && p.status !== 'failed';
}

function settledStatus(p: PaymentRow): PaymentStatus {
  if (p.dispute_status === 'open' || p.dispute_status === 'lost') return 'disputed';
  if (p.refunded_cents >= p.amount_cents) return 'refunded';
  if (p.refunded_cents > 0) return 'partially_refunded';
  return 'succeeded';
}

async function must(scope: TransactionScope, ops: Parameters<TransactionScope['apply']>[0]) {
  for (const r of await scope.apply(ops)) if (!r.ok) throw r.error;
}

/** Takes `amountMc` of what the payment granted back from its account (a refund, or a lost dispute with no hold to capture). */
function clawBack(scope: TransactionScope, p: PaymentRow, amountMc: number, type: 'refund' | 'dispute', description: string) {
  return must(scope, [{ kind: 'clawback', userId: p.user_id, amountMc, type, description, refType: 'payment', refId: p.id }]);
}

/** What the payment granted and no refund or lost dispute has taken back yet. */
function unclaimedMc(p: PaymentRow): number {
  return Math.max(0, p.credits_mc + p.bonus_credits_mc - p.clawed_back_mc - p.dispute_clawed_mc);
}

/**
 * Takes back what the recorded refunds call for beyond what was taken, and — when the
 * dispute's state or the grant just changed (`disputeChanged`) — applies the dispute once.
 * Refunds and a lost dispute together never take more than the payment granted, whatever
 * order their events come in: each takes at most what the others left.
 */
async function reconcile(scope: TransactionScope, p: PaymentRow, disputeChanged: boolean) {
  const refundTarget = shareMc(p, p.refunded_cents);
  const take = Math.min(refundTarget - p.clawed_back_mc, unclaimedMc(p));
  if (take > 0) {
    await clawBack(
      scope,
      p,
      take,
      'refund',
      `Refund: ${formatCents(p.refunded_cents, p.currency)} of ${formatCents(p.amount_cents, p.currency)}`,
    );
    p.clawed_back_mc += take;
    await createAlert(
      scope.trx,
      p.user_id,
      'refund',
      `${formatCents(p.refunded_cents, p.currency)} of your payment was refunded; ${formatCredits(take)} credits were taken back.`,
      scope.now,
      { paymentId: p.id },
    );
    await emitEvent(
      scope.trx,
      {
        type: 'credits.refunded',
        accountId: p.user_id,
        data: paymentEventData(p, { refundedCents: p.refunded_cents, creditsTaken: mcToCredits(take) }),
      },
      scope.now,
    );
  }
  if (disputeChanged) await applyDispute(scope, p);
  // Each step rounds its share down: refunds and a lost dispute that together reverse the whole
  // amount leave nothing of what the payment granted (as a full refund takes all of it).
  const rest = unclaimedMc(p);
  const lostCents = p.dispute_status === 'lost' && p.disputed_mc === 0 ? (p.dispute_amount_cents ?? p.amount_cents) : 0;
  if (rest > 0 && lostCents > 0 && p.refunded_cents + lostCents >= p.amount_cents) {
    const type = disputeChanged ? 'dispute' : 'refund';
    await clawBack(scope, p, rest, type, 'The rest of a payment reversed in full');
    if (type === 'dispute') p.dispute_clawed_mc += rest;
    else p.clawed_back_mc += rest;
  }
}

/** The dispute's state changed (or the grant it waited for was made): hold, take or release its credits once. */
async function applyDispute(scope: TransactionScope, p: PaymentRow) {
  if (p.dispute_status === 'open' && p.disputed_mc === 0) {
    const hold = Math.min(shareMc(p, p.dispute_amount_cents ?? p.amount_cents), unclaimedMc(p));
    if (hold > 0) {
      await must(scope, [
        {
          kind: 'reserve',
          userId: p.user_id,
          reservationId: disputeHoldId(p.id),
          amountMc: hold,
          forced: true,
          expiresAt: Number.MAX_SAFE_INTEGER,
          description: 'Credits held during a payment dispute',
          refType: 'payment',
          refId: p.id,
        },
      ]);
      p.disputed_mc = hold;
    }
  }
  if (p.dispute_status === 'lost') {
    const hold = await scope.trx.selectFrom('reservations').select(['status']).where('id', '=', disputeHoldId(p.id)).executeTakeFirst();
    if (hold?.status === 'active') {
      // A refund may have taken part of the held credits meanwhile: the capture takes only what is left and releases the rest.
      const [r] = await scope.apply([
        {
          kind: 'capture',
          reservationId: disputeHoldId(p.id),
          amountMc: Math.min(p.disputed_mc, unclaimedMc(p)),
          type: 'dispute',
          description: 'Dispute lost: credits taken',
          refType: 'payment',
          refId: p.id,
        },
      ]);
      if (!r?.ok) throw r?.error ?? new Error('no result');
      p.dispute_clawed_mc += r.value.chargedMc ?? 0;
    } else if (!hold) {
      const take = Math.min(shareMc(p, p.dispute_amount_cents ?? p.amount_cents), unclaimedMc(p));
      if (take > 0) {
        await clawBack(scope, p, take, 'dispute', 'Dispute lost: credits taken');
        p.dispute_clawed_mc += take;
      }
    }
    p.disputed_mc = 0;
  }
  if (p.dispute_status === 'won' && p.disputed_mc > 0) {
    const hold = await scope.trx.selectFrom('reservations').select(['status']).where('id', '=', disputeHoldId(p.id)).executeTakeFirst();
    if (hold?.status === 'active')
      await must(scope, [
        { kind: 'release', reservationId: disputeHoldId(p.id), reason: 'released', description: 'Dispute won: credits released' },
      ]);
    p.disputed_mc = 0;
  }
}

/** The payment succeeded: grant once, then apply what was recorded before. Amount and currency must match. */
export async function fulfilPayment(
  scope: TransactionScope,
  p: PaymentRow,
  fact: { amountCents: number; currency: string; chargeId: string | null; receiptUrl?: string | null | undefined },
) {
  if (fact.amountCents !== p.amount_cents || fact.currency.toLowerCase() !== p.currency.toLowerCase()) {
    throw invalid('The payment amount does not match the package price.', { expected: p.amount_cents, got: fact.amountCents });
  }
  if (granted(p)) return false;
  await must(scope, [fulfilmentOp(p, await packageExpiry(scope.trx, p.package_id), scope.now)]);
  p.status = 'succeeded';
  p.stripe_charge_id = p.stripe_charge_id ?? fact.chargeId;
  p.receipt_url = p.receipt_url ?? fact.receiptUrl ?? null;
  p.failure_message = null;
  await createAlert(
    scope.trx,
    p.user_id,
    p.kind === 'auto_recharge' ? 'auto_recharge_succeeded' : 'purchase_succeeded',
    `Payment received: ${formatCredits(p.credits_mc + p.bonus_credits_mc)} credits were added.`,
    scope.now,
    { paymentId: p.id },
  );
  await emitEvent(
    scope.trx,
    { type: p.kind === 'auto_recharge' ? 'auto_recharge.succeeded' : 'credits.purchased', accountId: p.user_id, data: paymentEventData(p) },
    scope.now,
  );
  await reconcile(scope, p, true);
  p.status = settledStatus(p);
  await save(scope.trx, p, scope.now);
  return true;
}

/** The payment failed (a decline, now or reported later by Stripe); a failed auto-recharge is re-armed for after its backoff. */
export async function failPayment(scope: TransactionScope, p: PaymentRow, message: string) {
  if (p.status !== 'pending') return false;
  p.status = 'failed';
  p.failure_message = message.slice(0, 500);
  await save(scope.trx, p, scope.now);
  await createAlert(
    scope.trx,
    p.user_id,
    p.kind === 'auto_recharge' ? 'auto_recharge_failed' : 'payment_failed',
    `Your payment of ${formatCents(p.amount_cents, p.currency)} failed: ${p.failure_message}`,
    scope.now,
    { paymentId: p.id },
  );
  await emitEvent(
    scope.trx,
    {
      type: p.kind === 'auto_recharge' ? 'auto_recharge.failed' : 'payment.failed',
      accountId: p.user_id,
      data: paymentEventData(p, { reason: p.failure_message }),
    },
    scope.now,
  );
  if (p.kind === 'auto_recharge') await rearmAutoRecharge(scope.trx, p.user_id, scope.now);
  return true;
}

/** Takes or gives back the credits the payment's refunds and dispute now call for (once it granted any), then saves it. */
async function settleAndSave(scope: TransactionScope, p: PaymentRow, dispute: boolean): Promise<true> {
  if (granted(p)) {
    await reconcile(scope, p, dispute);
    p.status = settledStatus(p);
  }
  await save(scope.trx, p, scope.now);
  return true;
}

/** The payment's cumulative refunded amount is now `cumulativeCents` (never goes down). */
export async function recordRefund(scope: TransactionScope, p: PaymentRow, cumulativeCents: number, chargeId: string | null) {
  const cumulative = Math.min(Math.max(cumulativeCents, p.refunded_cents), p.amount_cents);
  p.stripe_charge_id = p.stripe_charge_id ?? chargeId;
  if (cumulative === p.refunded_cents) return false;
  await recordReversal(scope, p, 'refund', cumulative - p.refunded_cents);
  p.refunded_cents = cumulative;
  return settleAndSave(scope, p, false);
}

export async function recordDispute(
  scope: TransactionScope,
  p: PaymentRow,
  state: 'open' | 'won' | 'lost',
  amountCents: number,
  chargeId: string | null,
) {
  p.stripe_charge_id = p.stripe_charge_id ?? chargeId;
  // A closed dispute is final: a late "created" changes nothing.
  if (p.dispute_status === 'won' || p.dispute_status === 'lost') return false;
  if (state === 'open' && p.dispute_status === 'open') return false;
  p.dispute_status = state;
  p.dispute_amount_cents = amountCents;
  if (state === 'lost') await recordReversal(scope, p, 'dispute_lost', Math.min(amountCents, p.amount_cents));
  return settleAndSave(scope, p, true);
}

/** An admin request's idempotency key, stored with its reply in the refund's transaction. */
export interface RefundKey {
  /** The owner of the key (the admin). */
  scope: string;
  key: string;
  /** A digest of the request; the same key with another fingerprint is a conflict. */
  fingerprint: string;
  /** What is stored for replays. */
  reply?: (p: PaymentRow) => unknown;
}

export interface RefundOutcome {
  payment: PaymentRow;
  /** True when the key had been applied before: `reply` is what was stored then. */
  replayed: boolean;
  reply?: unknown;
}

/**
 * An admin's refund of a simulated payment: the simulated provider refunds at once.
 * Cumulative, as Stripe's refunds are: the request sets the payment's refunded amount to
 * a target and the credits taken follow from it (the refunded share minus what was taken
 * already). With an idempotency key the target is the refunded amount when the payment is
 * locked plus `amountCents`, and the key is stored with the reply in the same
 * transaction, so a retry or a duplicate on another instance replays it. Without a key the
 * request gets the one Stripe's refund without a key gets (stripe-flows.ts): derived from
 * the refunded amount the request read before and the amount, stored the same way. Two
 * identical requests that both read the payment before either refunded (a double click)
 * refund once (the second finds its key and answers the payment as it stands); read apart,
 * they are two refunds, as at Stripe. Two different refunds at once both apply, each on top of
 * the other, as they would at Stripe: a target read before the lock made the later of two
 * different refunds refund only the difference and still answer 200 (a review found it).
 */
export async function refundSimulated(
  core: Core,
  paymentId: string,
  amountCents: number | undefined,
  actorId: string,
  idem?: RefundKey,
): Promise<RefundOutcome> {
  const seen = await core.database.db.selectFrom('stripe_payments').selectAll().where('id', '=', paymentId).executeTakeFirst();
  if (!seen) throw notFound('Payment');
  // Without a key: what was refunded when this request read the payment, and how much it asks
  // (the whole remainder then, by default). A prefix no request's scope (a user or key id) has.
  const asked = idem ? amountCents : checkRefundable(seen, amountCents);
  const derived = `simulated-refund:${paymentId}:${seen.refunded_cents}:${asked}`;
  return core.writer.transaction(async (scope) => {
    const p = await lockPayment(scope, core.database.dialect, { id: paymentId });
    if (!p) throw notFound('Payment');
    const keyId = idem ? `${idem.scope}:${idem.key}` : derived;
    // A derived key's fingerprint is fixed: the same refund read from the same state.
    const stored = await storedReply(scope.trx, keyId, idem?.fingerprint ?? 'derived');
    if (stored && idem) return { payment: p, replayed: true, reply: stored.reply };
    // The same refund without a key, already made by a request that read what this one read.
    if (stored) return { payment: p, replayed: false };
    const amount = checkRefundable(p, asked);
    const before = p.refunded_cents;
    await recordRefund(scope, p, before + amount, null);
    await recordAudit(
      scope.trx,
      {
        actorId,
        action: 'payment.refund',
        targetType: 'payment',
        targetId: p.id,
        details: { amountCents: amount, refundedCents: before + amount, provider: 'simulated' },
      },
      scope.now,
    );
    const reply = idem?.reply?.(p);
    await storeReply(scope.trx, keyId, idem?.fingerprint ?? 'derived', reply, scope.now);
    return { payment: p, replayed: false, reply };
  });
}

/** The amount to refund (whole remainder by default); more than remains is refused. */
export function checkRefundable(p: PaymentRow, amountCents: number | undefined): number {
  // A disputed charge is settled by the dispute, not refunded (Stripe refuses it too).
  if (!['succeeded', 'partially_refunded'].includes(p.status)) {
    throw invalid(`A ${p.status} payment cannot be refunded.`, { fields: [{ path: 'id', message: `payment is ${p.status}` }] });
  }
  const remaining = p.amount_cents - p.refunded_cents;
  const amount = amountCents ?? remaining;
  if (amount > remaining || amount <= 0) {
    throw invalid(`At most ${formatCents(remaining, p.currency)} remains to refund.`, {
      fields: [{ path: 'body.amountCents', message: 'more than remains' }],
    });
  }
  return amount;
}
