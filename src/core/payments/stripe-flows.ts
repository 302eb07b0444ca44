/**
 * Purchases, webhooks and refunds with a card processor. Credits move only inside the
 * ledger, in the same transaction that records the Stripe event id, so a redelivered
 * event changes nothing; amounts come from objects re-read from Stripe, so events that
 * arrive late or out of order cannot move the payment backwards.
 */
import { hash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB, PaymentRow } from '../../db/schema.js';
import { recordAudit } from '../audit/record-audit.js';
import { DomainError, conflict, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { Core } from '../index.js';
import { checkRefundable, failPayment, fulfilPayment, lockPayment, recordDispute, recordRefund } from './payment-events.js';
import type { ChargeFacts, IntentFacts, PaymentProvider } from './provider.js';
import type { TransactionScope } from '../ledger/writer.js';
import { intentMetadata, paymentFromIntent } from './intent-metadata.js';
import { activePackage, newPayment } from './purchase-credits.js';

export interface PendingPurchase {
  payment: PaymentRow;
  clientSecret: string;
}

/**
 * A pending payment and its PaymentIntent. With an idempotency key the payment id is
 * derived from (user, key), and the intent's Stripe idempotency key from the payment id,
 * so a retry after any failure finds the same payment and the same intent.
 */
export async function purchaseWithProvider(
  core: Core,
  provider: PaymentProvider,
  userId: string,
  packageId: string,
  key: string | null,
  /** The user who pays (their Stripe customer), when not the account's own user: an organisation's owner or admin. */
  payerId: string = userId,
): Promise<PendingPurchase> {
  const db = core.database.db;
  const pkg = await activePackage(db, packageId);
  const user = await db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'stripe_customer_id'])
    .where('id', '=', payerId)
    .executeTakeFirstOrThrow();
  const paymentId = key ? `pay_${hash('sha256', `${userId}:${key}`).slice(0, 32)}` : newId();
  let payment = await db.selectFrom('stripe_payments').selectAll().where('id', '=', paymentId).executeTakeFirst();
  if (payment && payment.package_id !== pkg.id) throw conflict('This idempotency key was used for another package.');
  if (!payment) {
    const now = core.now();
    const row = newPayment(pkg, userId, { id: paymentId, provider: 'stripe', status: 'pending', kind: 'purchase' }, now, payerId);
    await core.writer.transaction(async ({ trx }) => {
      await trx
        .insertInto('stripe_payments')
        .values(row)
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    });
    payment = await db.selectFrom('stripe_payments').selectAll().where('id', '=', paymentId).executeTakeFirstOrThrow();
  }
  let customerId: string;
  let intent: { id: string; clientSecret: string };
  try {
    customerId = await provider.ensureCustomer({ id: user.id, email: user.email, name: user.name, customerId: user.stripe_customer_id });
    intent = await provider.createIntent({
      paymentId,
      userId,
      customerId,
      amountCents: payment.amount_cents,
      currency: payment.currency,
      description: `${pkg.name} credits`,
      metadata: intentMetadata(payment),
    });
  } catch (e) {
    throw new DomainError('payments_unavailable', `The payment processor did not answer: ${(e as Error).message}`);
  }
  await core.writer.transaction(async ({ trx, now }) => {
    if (!user.stripe_customer_id)
      await trx.updateTable('users').set({ stripe_customer_id: customerId, updated_at: now }).where('id', '=', payerId).execute();
    await trx
      .updateTable('stripe_payments')
      .set({ stripe_payment_intent_id: intent.id, updated_at: now })
      .where('id', '=', paymentId)
      .execute();
  });
  return { payment: { ...payment, stripe_payment_intent_id: intent.id }, clientSecret: intent.clientSecret };
}

export type EventOutcome = 'applied' | 'duplicate' | 'ignored';

interface StripeEvent {
  id: string;
  type: string;
  data: { object: Record<string, unknown> };
}

const str = (v: unknown) =>
  typeof v === 'string'
    ? v
    : v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string'
      ? (v as { id: string }).id
      : null;

/**
 * Applies one verified Stripe event once, and records it with what it did (listed by
 * `listWebhookEvents`). Throws only for transient failures (Stripe retries).
 */
export async function handleStripeEvent(core: Core, provider: PaymentProvider, event: StripeEvent): Promise<EventOutcome> {
  const o = event.data.object;
  // Authoritative facts, re-read from Stripe before the transaction.
  let intent: IntentFacts | null = null;
  let charge: ChargeFacts | null = null;
  try {
    switch (event.type) {
      case 'payment_intent.succeeded':
      case 'payment_intent.payment_failed':
        intent = await provider.retrieveIntent(String(o.id));
        break;
      case 'charge.refunded':
        charge = await provider.retrieveCharge(String(o.id));
        break;
      case 'charge.dispute.created':
      case 'charge.dispute.closed': {
        const chargeId = str(o.charge);
        if (chargeId) charge = await provider.retrieveCharge(chargeId);
        break;
      }
      default:
        return recordIgnored(core, event);
    }
    // A charge of a payment the database does not know (lost in a restore): its intent says what it was.
    if (!intent && charge?.paymentIntentId && !(await knownCharge(core, charge)))
      intent = await provider.retrieveIntent(charge.paymentIntentId);
  } catch (e) {
    // An object Stripe does not know (not ours, or deleted) will never apply: do not ask for retries.
    if ((e as { statusCode?: number }).statusCode === 404) return recordIgnored(core, event);
    throw e;
  }
  return core.writer.transaction(async (scope) => {
    if (!(await recordReceived(scope.trx, event, scope.now))) return 'duplicate';
    const dialect = core.database.dialect;
    const payment =
      (intent?.paymentId ? await lockPayment(scope, dialect, { id: intent.paymentId }) : undefined) ??
      (intent ? await lockPayment(scope, dialect, { intentId: intent.id }) : undefined) ??
      (charge?.paymentIntentId ? await lockPayment(scope, dialect, { intentId: charge.paymentIntentId }) : undefined) ??
      (charge ? await lockPayment(scope, dialect, { chargeId: charge.id }) : undefined) ??
      (intent ? await recoverPayment(scope, dialect, intent, event.id) : undefined);
    const outcome = payment ? await applyEvent(scope, event, payment, intent, charge) : 'ignored';
    await scope.trx
      .updateTable('processed_events')
      .set({ outcome, payment_id: payment?.id ?? null })
      .where('id', '=', `stripe:${event.id}`)
      .execute();
    return outcome;
  });
}

/** Records a received event (its id, once); false when it was received before. */
async function recordReceived(trx: Kysely<DB>, event: StripeEvent, now: number, outcome: EventOutcome | null = null): Promise<boolean> {
  const fresh = await trx
    .insertInto('processed_events')
    .values({ id: `stripe:${event.id}`, type: event.type.slice(0, 200), created_at: now, outcome, payment_id: null })
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  return Number(fresh.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** An event of a type the service does not act on, or about an object Stripe does not know: recorded as received, nothing else. */
async function recordIgnored(core: Core, event: StripeEvent): Promise<EventOutcome> {
  const fresh = await core.writer.transaction(({ trx, now }) => recordReceived(trx, event, now, 'ignored'));
  return fresh ? 'ignored' : 'duplicate';
}

/** The event's effect on its (locked) payment. */
async function applyEvent(
  scope: TransactionScope,
  event: StripeEvent,
  payment: PaymentRow,
  intent: IntentFacts | null,
  charge: ChargeFacts | null,
): Promise<'applied' | 'ignored'> {
  const o = event.data.object;
  switch (event.type) {
    case 'payment_intent.succeeded': {
      if (!intent || intent.status !== 'succeeded') return 'ignored';
      try {
        await fulfilPayment(scope, payment, intent);
      } catch (e) {
        if (e instanceof DomainError && e.code === 'validation_error') {
          await recordAudit(
            scope.trx,
            {
              actorId: null,
              action: 'payment.mismatch',
              targetType: 'payment',
              targetId: payment.id,
              details: { eventId: event.id, ...(e.details ?? {}) },
            },
            scope.now,
          );
          return 'ignored';
        }
        throw e;
      }
      return 'applied';
    }
    case 'payment_intent.payment_failed':
      await failPayment(scope, payment, intent?.lastError ?? 'The card was declined.');
      return 'applied';
    case 'charge.refunded':
      if (!charge) return 'ignored';
      await recordRefund(scope, payment, charge.amountRefundedCents, charge.id);
      return 'applied';
    case 'charge.dispute.created':
    case 'charge.dispute.closed': {
      // Only a lost dispute takes the credits; every other close (won, warning_closed...) releases them.
      const status = event.type === 'charge.dispute.created' ? 'open' : o.status === 'lost' ? 'lost' : 'won';
      const amount = typeof o.amount === 'number' ? o.amount : payment.amount_cents;
      await recordDispute(scope, payment, status, amount, charge?.id ?? null);
      return 'applied';
    }
  }
  return 'ignored';
}

async function knownCharge(core: Core, charge: ChargeFacts): Promise<boolean> {
  const intentId = charge.paymentIntentId;
  const row = await core.database.db
    .selectFrom('stripe_payments')
    .select('id')
    .where((eb) => eb.or([eb('stripe_charge_id', '=', charge.id), ...(intentId ? [eb('stripe_payment_intent_id', '=', intentId)] : [])]))
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * A succeeded intent whose payment the database does not hold (a restore of a backup taken
 * before the purchase): the payment is rebuilt from the intent's metadata — the intent as
 * re-read from Stripe, never an event's body — and granted, once, in the event's
 * transaction; the event's own effect (a refund, a dispute) then applies to it as usual. A
 * later duplicate finds the payment granted. An intent that cannot be rebuilt (metadata
 * from before it named the package, an account the database does not hold, an amount that
 * does not match) grants nothing and is written to the audit log for the operator.
 */
async function recoverPayment(
  scope: TransactionScope,
  dialect: string,
  intent: IntentFacts,
  eventId: string,
): Promise<PaymentRow | undefined> {
  if (intent.status !== 'succeeded') return undefined;
  const row = paymentFromIntent(intent, scope.now);
  const unrecoverable = async (reason: string) => {
    await recordAudit(
      scope.trx,
      {
        actorId: null,
        action: 'payment.unrecoverable',
        targetType: 'payment',
        targetId: row?.id ?? null,
        details: { eventId, intentId: intent.id, reason },
      },
      scope.now,
    );
    return undefined;
  };
  if (!row) return unrecoverable('the PaymentIntent’s metadata does not describe a payment');
  if (row.amount_cents !== intent.amountCents || row.currency !== intent.currency.toLowerCase())
    return unrecoverable('the PaymentIntent’s amount does not match its metadata');
  const owner = await scope.trx.selectFrom('accounts').select('id').where('id', '=', row.user_id).executeTakeFirst();
  if (!owner) return unrecoverable('the account is not in the database');
  // A personal account's user keeps the Stripe customer; an organisation's payer is a member, not the account.
  const user = await scope.trx.selectFrom('users').select(['id', 'stripe_customer_id']).where('id', '=', row.user_id).executeTakeFirst();
  // The buyer the intent names, when the database holds that user (else the payment is rebuilt without one).
  if (row.bought_by && !(await scope.trx.selectFrom('users').select('id').where('id', '=', row.bought_by).executeTakeFirst()))
    row.bought_by = null;
  await scope.trx
    .insertInto('stripe_payments')
    .values(row)
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  const p = await lockPayment(scope, dialect, { id: row.id });
  if (!p) return undefined;
  if (user && !user.stripe_customer_id && intent.customerId) {
    await scope.trx
      .updateTable('users')
      .set({ stripe_customer_id: intent.customerId, updated_at: scope.now })
      .where('id', '=', user.id)
      .execute();
  }
  if (p.stripe_payment_intent_id === null) {
    await scope.trx.updateTable('stripe_payments').set({ stripe_payment_intent_id: intent.id }).where('id', '=', p.id).execute();
    p.stripe_payment_intent_id = intent.id;
  }
  if (await fulfilPayment(scope, p, intent)) {
    await recordAudit(
      scope.trx,
      { actorId: null, action: 'payment.recovered', targetType: 'payment', targetId: p.id, details: { eventId, intentId: intent.id } },
      scope.now,
    );
  }
  return p;
}

/**
 * Refunds through the processor, then records the refund from the charge as Stripe now
 * has it (cumulative), the same way the charge.refunded webhook does: whichever comes
 * first takes the credits, the other finds nothing left to take.
 */
export async function refundWithProvider(
  core: Core,
  provider: PaymentProvider,
  paymentId: string,
  amountCents: number | undefined,
  actorId: string,
  requestKey: string | null = null,
): Promise<PaymentRow> {
  const p = await core.database.db.selectFrom('stripe_payments').selectAll().where('id', '=', paymentId).executeTakeFirst();
  if (!p) throw notFound('Payment');
  const amount = checkRefundable(p, amountCents);
  if (!p.stripe_payment_intent_id) throw conflict('This payment has no PaymentIntent.');
  try {
    // With the caller's Idempotency-Key, Stripe's key follows it, so a retry of the same request
    // never refunds twice even if a webhook changed the recorded amount meanwhile.
    const key = requestKey ? `refund-${p.id}-key-${requestKey}` : `refund-${p.id}-${p.refunded_cents}-${amount}`;
    await provider.refund({ intentId: p.stripe_payment_intent_id, amountCents: amount, key });
  } catch (e) {
    throw new DomainError('payments_unavailable', `The payment processor refused the refund: ${(e as Error).message}`);
  }
  const intent = await provider.retrieveIntent(p.stripe_payment_intent_id);
  const charge = intent.chargeId ? await provider.retrieveCharge(intent.chargeId) : null;
  const cumulative = charge ? charge.amountRefundedCents : p.refunded_cents + amount;
  return core.writer.transaction(async (scope) => {
    const locked = await lockPayment(scope, core.database.dialect, { id: paymentId });
    if (!locked) throw notFound('Payment');
    await recordRefund(scope, locked, cumulative, charge?.id ?? null);
    await recordAudit(
      scope.trx,
      {
        actorId,
        action: 'payment.refund',
        targetType: 'payment',
        targetId: locked.id,
        details: { amountCents: amount, provider: 'stripe' },
      },
      scope.now,
    );
    return locked;
  });
}
