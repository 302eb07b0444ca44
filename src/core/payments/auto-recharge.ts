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
 */
import type { PaymentRow } from '../../db/schema.js';
import { createAlert } from '../alerts/alerts.js';
import { newId } from '../ids.js';
import type { Core } from '../index.js';
import type { BalanceChange } from '../ledger/types.js';
import type { ErrorLog } from '../log.js';
import { formatCents } from '../../contracts/money.js';
import { SettingsCache } from '../settings-cache.js';
import { failPayment, fulfilPayment, lockPayment } from './payment-events.js';
import type { PaymentProvider } from './provider.js';
import { fulfilmentOp, newPayment } from './purchase-credits.js';
import { rearmAutoRecharge } from './rearm-auto-recharge.js';

export const AUTO_RECHARGE_MONTHLY_CAP = 5;

interface Cached {
  enabled: boolean;
  thresholdMc: number;
}

export class AutoRecharge {
  private readonly cache: SettingsCache<Cached>;
  private chain: Promise<void> = Promise.resolve();
  private readonly log: ErrorLog;

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
    this.cache = new SettingsCache<Cached>(opts.ttlMs ?? 5000);
    this.log = opts.log;
  }

  invalidate(userId: string) {
    this.cache.invalidate(userId);
  }

  onCommit(changes: BalanceChange[]): Promise<void> {
    this.chain = this.chain.then(() => this.check(changes)).catch((err) => this.log.error({ err }, 'auto-recharge check failed'));
    return this.chain;
  }

  idle(): Promise<void> {
    return this.chain;
  }

  private settings(userId: string): Promise<Cached> {
    return this.cache.get(userId, async () => {
      const r = await this.core.database.db
        .selectFrom('user_settings')
        .select(['auto_recharge_enabled', 'auto_recharge_threshold_mc'])
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return { enabled: r?.auto_recharge_enabled === 1 && r.auto_recharge_threshold_mc !== null, thresholdMc: r?.auto_recharge_threshold_mc ?? 0 };
    });
  }

  private async check(changes: BalanceChange[]) {
    for (const c of changes) {
      try {
        await this.checkOne(c);
      } catch (err) {
        this.log.error({ err, userId: c.userId }, 'auto-recharge check failed');
      }
    }
  }

  private async checkOne(c: BalanceChange) {
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
      await rearmAutoRecharge(trx, userId, now, retryAt === undefined ? {} : { retryAt });
    });
  }

  /** Buys the user's auto-recharge package now (the caller holds the user's claim). */
  async recharge(userId: string): Promise<PaymentRow | null> {
    const db = this.core.database.db;
    const now = this.core.now();
    const s = await db.selectFrom('user_settings').selectAll().where('user_id', '=', userId).executeTakeFirstOrThrow();
    const pkg = s.auto_recharge_package_id
      ? await db.selectFrom('credit_packages').selectAll().where('id', '=', s.auto_recharge_package_id).where('active', '=', 1).executeTakeFirst()
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
      { id: newId(now), provider: this.provider ? 'stripe' : 'simulated', status: this.provider ? 'pending' : 'succeeded', kind: 'auto_recharge' },
      now,
    );
    if (!this.provider) {
      await this.core.writer.transaction(async ({ trx, apply }) => {
        await trx.insertInto('stripe_payments').values(payment).execute();
        const [r] = await apply([fulfilmentOp(payment)]);
        if (r && !r.ok) throw r.error;
        await trx.updateTable('user_settings').set({ auto_recharge_failures: 0, auto_recharge_retry_at: 0 }).where('user_id', '=', userId).execute();
        await createAlert(trx, userId, 'auto_recharge_succeeded', `Auto-recharge bought ${pkg.name} for ${formatCents(pkg.price_cents, pkg.currency)}.`, now, { paymentId: payment.id });
      });
      return payment;
    }
    await this.core.writer.transaction(({ trx }) => trx.insertInto('stripe_payments').values(payment).execute());
    const user = await db.selectFrom('users').select(['id', 'email', 'name', 'stripe_customer_id']).where('id', '=', userId).executeTakeFirstOrThrow();
    let intent: Awaited<ReturnType<PaymentProvider['chargeOffSession']>>;
    try {
      if (!user.stripe_customer_id) throw new Error('No saved card: buy once with a card first.');
      intent = await this.provider.chargeOffSession({
        paymentId: payment.id,
        userId,
        customerId: user.stripe_customer_id,
        amountCents: payment.amount_cents,
        currency: payment.currency,
        description: `Auto-recharge: ${pkg.name}`,
      });
    } catch (e) {
      // Declined: the payment fails (with an alert), which re-arms auto-recharge after the backoff.
      await this.core.writer.transaction(async (scope) => {
        const p = await lockPayment(scope, this.core.database.dialect, { id: payment.id });
        if (p) await failPayment(scope, p, (e as Error).message || 'The card was declined.');
      });
      return payment;
    }
    // Charged. An error from here on is logged, not re-armed: the payment stays pending for
    // Stripe's webhook (it finds it by the intent's metadata), and re-arming would charge the
    // card again for this crossing if the webhook came after the backoff.
    try {
      await this.core.writer.transaction(async (scope) => {
        await scope.trx.updateTable('stripe_payments').set({ stripe_payment_intent_id: intent.id }).where('id', '=', payment.id).execute();
        const p = await lockPayment(scope, this.core.database.dialect, { id: payment.id });
        if (p && intent.status === 'succeeded') {
          await fulfilPayment(scope, p, { amountCents: intent.amountCents, currency: intent.currency, chargeId: intent.chargeId });
        }
        await scope.trx.updateTable('user_settings').set({ auto_recharge_failures: 0, auto_recharge_retry_at: 0 }).where('user_id', '=', userId).execute();
      });
    } catch (err) {
      this.log.error({ err, userId, paymentId: payment.id, intentId: intent.id }, 'auto-recharge charged the card but could not record it: Stripe’s webhook will add the credits');
    }
    return payment;
  }
}
