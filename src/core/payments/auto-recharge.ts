/**
 * Auto-recharge: when a user's available credits fall below their auto-recharge
 * threshold, buy their chosen package — off-session with the saved card (Stripe) or at
 * once (simulated). Driven by the writer's commits, never inside the debit's transaction.
 *
 * Once per crossing, one at a time: a conditional UPDATE flips `auto_recharge_fired`
 * from 0 to 1, and only the statement that flips it charges; the flag returns to 0 when
 * the account's available credits — read by that UPDATE, never taken from the change,
 * which may be older than another instance's charge — are back at or above the
 * threshold. A recharge that does not happen (a decline, the package no longer sold, no
 * way to pay, an error) re-arms the flag for later: after a backoff (15 min, doubling per
 * failure in a row, at most a day), or at the next month once AUTO_RECHARGE_MONTHLY_CAP
 * recharges were made this calendar month (UTC) — a cap against a runaway loop spending
 * someone's card. Errors are logged.
 *
 * Only a definite "not charged" (a decline, no saved card, a request Stripe refused, an
 * intent left requiring a payment method) fails the payment and re-arms. When Stripe's
 * answer is lost (no answer after the SDK's retries, a 5xx, the intent not re-read), the
 * card may have been charged: the payment stays pending and the flag stays set until
 * `reconcile` re-reads the intent from Stripe (run every minute for recharges older than
 * RECONCILE_AFTER_MS) or Stripe's webhook settles it.
 */
import type { PaymentRow } from '../../db/schema.js';
import { createAlert } from '../alerts/alerts.js';
import { emitEvent } from '../events/emit-event.js';
import { paymentEventData } from '../events/payment-event-data.js';
import { newId } from '../ids.js';
import type { Core } from '../index.js';
import { CommitWatcher } from '../commit-watcher.js';
import type { BalanceChange } from '../ledger/types.js';
import type { ErrorLog } from '../log.js';
import { formatCents } from '../../contracts/money.js';
import { SettingsCache } from '../settings-cache.js';
import { failPayment, fulfilPayment, lockPayment } from './payment-events.js';
import { intentMetadata } from './intent-metadata.js';
import { ChargeFailed, ChargeUnconfirmed, type IntentFacts, type PaymentProvider } from './provider.js';
import { fulfilmentOp, newPayment } from './purchase-credits.js';
import { rearmAutoRecharge } from './rearm-auto-recharge.js';
import { forSale } from '../catalog/for-sale.js';

export const AUTO_RECHARGE_MONTHLY_CAP = 5;
/** A pending recharge is re-read from Stripe once its charge call is surely over (the SDK's timeout and retries are about a minute). */
export const RECONCILE_AFTER_MS = 5 * 60_000;
/** Intent statuses that say the card was not charged and will not be without the customer. */
const DECLINED_STATUSES = new Set(['requires_payment_method', 'requires_action', 'requires_confirmation', 'canceled']);

interface Cached {
  enabled: boolean;
  thresholdMc: number;
}

export class AutoRecharge extends CommitWatcher {
  private readonly cache: SettingsCache<Cached>;

  constructor(
    private readonly core: Core,
    private readonly provider: PaymentProvider | undefined,
    private readonly opts: {
      log: ErrorLog;
      monthlyCap?: number;
      ttlMs?: number;
      /** Without a card processor, buy with the simulated provider (never in production unless allowed). */
      allowSimulated?: boolean;
    },
  ) {
    super(opts.log, 'auto-recharge check');
    this.cache = new SettingsCache<Cached>(opts.ttlMs ?? 5000);
  }

  invalidate(userId: string) {
    this.cache.invalidate(userId);
  }

  private settings(userId: string): Promise<Cached> {
    return this.cache.get(userId, async () => {
      const r = await this.core.database.db
        .selectFrom('user_settings')
        .select(['auto_recharge_enabled', 'auto_recharge_threshold_mc'])
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return {
        enabled: r?.auto_recharge_enabled === 1 && r.auto_recharge_threshold_mc !== null,
        thresholdMc: r?.auto_recharge_threshold_mc ?? 0,
      };
    });
  }

  protected async checkOne(c: BalanceChange) {
    const db = this.core.database.db;
    if (c.availableMc === c.previousAvailableMc) return;
    const s = await this.settings(c.userId);
    if (!s.enabled) return;
    const now = this.core.now();
    // What the account has now, not what this (possibly old) change says.
    const available = db.selectFrom('user_credits').select('available_mc').where('user_id', '=', c.userId);
    if (c.availableMc >= s.thresholdMc) {
      await db
        .updateTable('user_settings')
        .set({ auto_recharge_fired: 0 })
        .where('user_id', '=', c.userId)
        .where('auto_recharge_fired', '=', 1)
        .where('auto_recharge_threshold_mc', '<=', available)
        .execute();
      return;
    }
    if (c.availableMc >= c.previousAvailableMc) return;
    const claim = await db
      .updateTable('user_settings')
      .set({ auto_recharge_fired: 1, updated_at: now })
      .where('user_id', '=', c.userId)
      .where('auto_recharge_enabled', '=', 1)
      .where('auto_recharge_fired', '=', 0)
      .where('auto_recharge_threshold_mc', '>', available)
      .where('auto_recharge_retry_at', '<=', now)
      .executeTakeFirst();
    if (Number(claim.numUpdatedRows) !== 1) return;
    try {
      await this.recharge(c.userId);
    } catch (err) {
      this.log.error({ err, userId: c.userId }, 'auto-recharge failed');
      // Claimed but not done: try again after the backoff rather than never.
      await this.core.writer.transaction(({ trx, now }) => rearmAutoRecharge(trx, c.userId, now));
    }
  }

  /** Alerts why no recharge was made, and re-arms for later, in one transaction. */
  private notDone(userId: string, message: string, retryAt?: number) {
    return this.core.writer.transaction(async ({ trx, now }) => {
      await createAlert(trx, userId, 'auto_recharge_failed', message, now);
      await emitEvent(
        trx,
        { type: 'auto_recharge.failed', accountId: userId, data: { accountId: userId, paymentId: null, reason: message } },
        now,
      );
      await rearmAutoRecharge(trx, userId, now, retryAt === undefined ? {} : { retryAt });
    });
  }

  /** Buys the user's auto-recharge package now (the caller holds the user's claim). */
  async recharge(userId: string): Promise<PaymentRow | null> {
    const db = this.core.database.db;
    const now = this.core.now();
    const s = await db.selectFrom('user_settings').selectAll().where('user_id', '=', userId).executeTakeFirstOrThrow();
    const pkg = s.auto_recharge_package_id
      ? await db.selectFrom('credit_packages').selectAll().where('id', '=', s.auto_recharge_package_id).$call(forSale).executeTakeFirst()
      : undefined;
    if (!pkg) {
      await this.notDone(userId, 'Auto-recharge is on but its package is no longer available: choose another one.');
      return null;
    }
    if (!this.provider && !this.opts.allowSimulated) {
      await this.notDone(userId, 'Auto-recharge could not run: payments are not available on this server.');
      return null;
    }
    const d = new Date(now);
    const monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    const done = await db
      .selectFrom('stripe_payments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .where('kind', '=', 'auto_recharge')
      .where('status', '!=', 'failed')
      .where('created_at', '>=', monthStart)
      .executeTakeFirstOrThrow();
    const cap = this.opts.monthlyCap ?? AUTO_RECHARGE_MONTHLY_CAP;
    if (Number(done.n) >= cap) {
      const nextMonth = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      await this.notDone(userId, `Auto-recharge stopped: the limit of ${cap} recharges this month was reached.`, nextMonth);
      return null;
    }
    const payment = newPayment(
      pkg,
      userId,
      {
        id: newId(now),
        provider: this.provider ? 'stripe' : 'simulated',
        status: this.provider ? 'pending' : 'succeeded',
        kind: 'auto_recharge',
      },
      now,
    );
    if (!this.provider) {
      await this.core.writer.transaction(async ({ trx, apply, now: paidAt }) => {
        await trx.insertInto('stripe_payments').values(payment).execute();
        const [r] = await apply([fulfilmentOp(payment, pkg, paidAt)]);
        if (r && !r.ok) throw r.error;
        await trx
          .updateTable('user_settings')
          .set({ auto_recharge_failures: 0, auto_recharge_retry_at: 0 })
          .where('user_id', '=', userId)
          .execute();
        await createAlert(
          trx,
          userId,
          'auto_recharge_succeeded',
          `Auto-recharge bought ${pkg.name} for ${formatCents(pkg.price_cents, pkg.currency)}.`,
          now,
          { paymentId: payment.id },
        );
        await emitEvent(trx, { type: 'auto_recharge.succeeded', accountId: userId, data: paymentEventData(payment) }, now);
      });
      return payment;
    }
    await this.core.writer.transaction(({ trx }) => trx.insertInto('stripe_payments').values(payment).execute());
    const payer = await this.payingCustomer(userId);
    let intent: IntentFacts;
    try {
      if (!payer.customerId)
        throw new ChargeFailed(
          payer.organization
            ? 'No saved card: an owner or admin of the organisation buys for it once with a card first.'
            : 'No saved card: buy once with a card first.',
        );
      intent = await this.provider.chargeOffSession({
        paymentId: payment.id,
        userId,
        customerId: payer.customerId,
        amountCents: payment.amount_cents,
        currency: payment.currency,
        description: `Auto-recharge: ${pkg.name}`,
        metadata: intentMetadata(payment),
      });
    } catch (e) {
      if (e instanceof ChargeFailed) {
        // Declined, nothing charged: the payment fails (with an alert), which re-arms auto-recharge after the backoff.
        await this.failRecharge(payment.id, e.message || 'The card was declined.');
        return payment;
      }
      // Perhaps charged: kept pending, never re-armed, until the intent is re-read (reconcile) or Stripe's webhook tells.
      await this.unconfirmed(payment.id, e instanceof ChargeUnconfirmed ? e.intentId : null, e);
      return payment;
    }
    if (DECLINED_STATUSES.has(intent.status)) {
      await this.failRecharge(payment.id, intent.lastError ?? 'The card was declined.', intent.id);
      return payment;
    }
    // Charged (or still processing). An error from here on is logged, not re-armed: the
    // payment stays pending for reconcile or Stripe's webhook (it finds it by the intent's
    // metadata), and re-arming would charge the card again for this crossing.
    try {
      await this.recordIntent(payment.id, intent);
    } catch (err) {
      this.log.error(
        { err, userId, paymentId: payment.id, intentId: intent.id },
        'auto-recharge charged the card but could not record it: Stripe’s webhook will add the credits',
      );
    }
    return payment;
  }

  /** The recharge's intent as Stripe has it: succeeded grants (once), still processing stays pending. */
  private recordIntent(paymentId: string, intent: IntentFacts) {
    return this.core.writer.transaction(async (scope) => {
      await scope.trx
        .updateTable('stripe_payments')
        .set({ stripe_payment_intent_id: intent.id })
        .where('id', '=', paymentId)
        .where('stripe_payment_intent_id', 'is', null)
        .execute();
      const p = await lockPayment(scope, this.core.database.dialect, { id: paymentId });
      if (!p || intent.status !== 'succeeded') return;
      await fulfilPayment(scope, p, intent);
      await scope.trx
        .updateTable('user_settings')
        .set({ auto_recharge_failures: 0, auto_recharge_retry_at: 0 })
        .where('user_id', '=', p.user_id)
        .execute();
    });
  }

  /** Nothing was charged: the payment fails with an alert, and auto-recharge is re-armed after the backoff. */
  private failRecharge(paymentId: string, message: string, intentId: string | null = null) {
    return this.core.writer.transaction(async (scope) => {
      if (intentId)
        await scope.trx
          .updateTable('stripe_payments')
          .set({ stripe_payment_intent_id: intentId })
          .where('id', '=', paymentId)
          .where('stripe_payment_intent_id', 'is', null)
          .execute();
      const p = await lockPayment(scope, this.core.database.dialect, { id: paymentId });
      if (p) await failPayment(scope, p, message);
    });
  }

  private async unconfirmed(paymentId: string, intentId: string | null, err: unknown) {
    this.log.error(
      { err, paymentId, intentId },
      'auto-recharge: Stripe did not confirm the charge; the payment stays pending until the intent is re-read or Stripe’s webhook tells',
    );
    if (!intentId) return;
    try {
      await this.core.writer.transaction(({ trx }) =>
        trx
          .updateTable('stripe_payments')
          .set({ stripe_payment_intent_id: intentId })
          .where('id', '=', paymentId)
          .where('stripe_payment_intent_id', 'is', null)
          .execute(),
      );
    } catch (e) {
      this.log.error(
        { err: e, paymentId, intentId },
        'auto-recharge: the unconfirmed charge’s intent id could not be recorded (reconcile finds it in Stripe’s list)',
      );
    }
  }

  /**
   * Settles the recharges whose charge was not confirmed: every pending Stripe recharge
   * older than `olderThanMs` (by then its charge call is over, on every instance) is re-read
   * from Stripe — its intent by id, or found in the customer's intents by the payment id in
   * its metadata. Succeeded: granted once (as the webhook would). Declined: failed, and
   * auto-recharge re-armed. Not in Stripe at all: the charge never reached it, so failed and
   * re-armed. Still processing, or Stripe unreachable: left for the next pass.
   */
  async reconcile(opts: { olderThanMs?: number } = {}): Promise<{ succeeded: number; failed: number; pending: number }> {
    const out = { succeeded: 0, failed: 0, pending: 0 };
    if (!this.provider) return out;
    const db = this.core.database.db;
    const due = await db
      .selectFrom('stripe_payments')
      .select(['stripe_payments.id', 'stripe_payments.user_id', 'stripe_payments.stripe_payment_intent_id', 'stripe_payments.created_at'])
      .where('stripe_payments.kind', '=', 'auto_recharge')
      .where('stripe_payments.provider', '=', 'stripe')
      .where('stripe_payments.status', '=', 'pending')
      .where('stripe_payments.created_at', '<=', this.core.now() - (opts.olderThanMs ?? RECONCILE_AFTER_MS))
      .orderBy('stripe_payments.created_at')
      .limit(100)
      .execute();
    for (const p of due) {
      try {
        // The customer charged: the user's, or on an organisation the owner's or admin's that recharge() chose.
        const customerId = p.stripe_payment_intent_id ? null : (await this.payingCustomer(p.user_id)).customerId;
        const intent = p.stripe_payment_intent_id
          ? await this.provider.retrieveIntent(p.stripe_payment_intent_id)
          : customerId
            ? await this.provider.findIntent({ customerId, paymentId: p.id, createdAfter: p.created_at - 60_000 })
            : null;
        if (!intent) {
          await this.failRecharge(p.id, 'The charge never reached Stripe: nothing was charged.');
          out.failed++;
        } else if (DECLINED_STATUSES.has(intent.status)) {
          await this.failRecharge(p.id, intent.lastError ?? 'The card was declined.', intent.id);
          out.failed++;
        } else {
          await this.recordIntent(p.id, intent);
          if (intent.status === 'succeeded') out.succeeded++;
          else out.pending++;
        }
      } catch (err) {
        out.pending++;
        this.log.error({ err, paymentId: p.id }, 'auto-recharge reconcile: Stripe could not tell; tried again at the next pass');
      }
    }
    return out;
  }

  /**
   * Whose saved card pays an account's recharge: a personal account's user's. An
   * organisation has no card of its own: its owners and admins buy for it with theirs, so
   * the first of them (owners first, then by how long they have been members) with a saved
   * card pays; none: no way to pay.
   */
  private async payingCustomer(accountId: string): Promise<{ customerId: string | null; organization: boolean }> {
    const db = this.core.database.db;
    const user = await db.selectFrom('users').select('stripe_customer_id').where('id', '=', accountId).executeTakeFirst();
    if (user) return { customerId: user.stripe_customer_id, organization: false };
    const managers = await db
      .selectFrom('account_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['m.role', 'u.stripe_customer_id'])
      .where('m.account_id', '=', accountId)
      .where('m.role', 'in', ['owner', 'admin'])
      .where('u.stripe_customer_id', 'is not', null)
      .orderBy('m.created_at')
      .orderBy('m.user_id')
      .execute();
    const first = managers.find((m) => m.role === 'owner') ?? managers[0];
    return { customerId: first?.stripe_customer_id ?? null, organization: true };
  }
}
