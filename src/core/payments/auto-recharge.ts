/**
 * Auto-recharge: when a user's available credits fall below their auto-recharge
 * threshold, buy their chosen package — off-session with the saved card (Stripe) or at
 * once (simulated). Driven by the writer's commits, never inside the debit's transaction.
 *
 * Once per crossing, one at a time: a conditional UPDATE flips `auto_recharge_fired`
 * from 0 to 1, and only the statement that flips it charges; the flag returns to 0 when
 * available credits are back at or above the threshold. A decline re-arms the flag but
 * sets `auto_recharge_retry_at` (15 min, doubling per decline in a row, at most a day),
 * and at most AUTO_RECHARGE_MONTHLY_CAP recharges are made per user per calendar month
 * (UTC) — a cap against a runaway loop spending someone's card.
 */
import type { PaymentRow } from '../../db/schema.js';
import { createAlert } from '../alerts/alerts.js';
import { newId } from '../ids.js';
import type { Core } from '../index.js';
import type { BalanceChange } from '../ledger/types.js';
import { formatCents } from '../money.js';
import { failPayment, fulfilPayment, lockPayment } from './payment-events.js';
import { SettingsCache } from '../settings-cache.js';
import type { PaymentProvider } from './provider.js';
import { fulfilmentOp, newPayment } from './purchase-credits.js';

export const AUTO_RECHARGE_MONTHLY_CAP = 5;
const BACKOFF_BASE_MS = 15 * 60_000;
const BACKOFF_MAX_MS = 24 * 3_600_000;

interface Cached {
  enabled: boolean;
  thresholdMc: number;
}

export class AutoRecharge {
  private readonly cache: SettingsCache<Cached>;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly core: Core,
    private readonly provider: PaymentProvider | undefined,
    private readonly opts: {
      monthlyCap?: number;
      backoffBaseMs?: number;
      ttlMs?: number;
      /** Without a card processor, buy with the simulated provider (never in production unless allowed). */
      allowSimulated?: boolean;
    } = {},
  ) {
    this.cache = new SettingsCache<Cached>(opts.ttlMs ?? 5000);
  }

  invalidate(userId: string) {
    this.cache.invalidate(userId);
  }

  onCommit(changes: BalanceChange[]): Promise<void> {
    this.chain = this.chain.then(() => this.check(changes)).catch(() => {});
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
    const db = this.core.database.db;
    for (const c of changes) {
      if (c.availableMc === c.previousAvailableMc) continue;
      const s = await this.settings(c.userId);
      if (!s.enabled) continue;
      const now = this.core.now();
      if (c.availableMc >= s.thresholdMc) {
        await db
          .updateTable('user_settings')
          .set({ auto_recharge_fired: 0 })
          .where('user_id', '=', c.userId)
          .where('auto_recharge_fired', '=', 1)
          .where('auto_recharge_threshold_mc', '<=', c.availableMc)
          .execute();
        continue;
      }
      if (c.availableMc >= c.previousAvailableMc) continue;
      const claim = await db
        .updateTable('user_settings')
        .set({ auto_recharge_fired: 1, updated_at: now })
        .where('user_id', '=', c.userId)
        .where('auto_recharge_enabled', '=', 1)
        .where('auto_recharge_fired', '=', 0)
        .where('auto_recharge_threshold_mc', '>', c.availableMc)
        .where('auto_recharge_retry_at', '<=', now)
        .executeTakeFirst();
      if (Number(claim.numUpdatedRows) === 1) await this.recharge(c.userId);
    }
  }

  /** Buys the user's auto-recharge package now. */
  async recharge(userId: string): Promise<PaymentRow | null> {
    const db = this.core.database.db;
    const now = this.core.now();
    const s = await db.selectFrom('user_settings').selectAll().where('user_id', '=', userId).executeTakeFirstOrThrow();
    const pkg = s.auto_recharge_package_id
      ? await db.selectFrom('credit_packages').selectAll().where('id', '=', s.auto_recharge_package_id).where('active', '=', 1).executeTakeFirst()
      : undefined;
    if (!pkg) {
      await createAlert(db, userId, 'auto_recharge_failed', 'Auto-recharge is on but its package is no longer available: choose another one.', now);
      return null;
    }
    if (!this.provider && !this.opts.allowSimulated) {
      await createAlert(db, userId, 'auto_recharge_failed', 'Auto-recharge could not run: payments are not available on this server.', now);
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
      await createAlert(db, userId, 'auto_recharge_failed', `Auto-recharge stopped: the limit of ${cap} recharges this month was reached.`, now);
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
    try {
      if (!user.stripe_customer_id) throw new Error('No saved card: buy once with a card first.');
      const intent = await this.provider.chargeOffSession({
        paymentId: payment.id,
        userId,
        customerId: user.stripe_customer_id,
        amountCents: payment.amount_cents,
        currency: payment.currency,
        description: `Auto-recharge: ${pkg.name}`,
      });
      await this.core.writer.transaction(async (scope) => {
        await scope.trx.updateTable('stripe_payments').set({ stripe_payment_intent_id: intent.id }).where('id', '=', payment.id).execute();
        const p = await lockPayment(scope, this.core.database.dialect, { id: payment.id });
        if (p && intent.status === 'succeeded') {
          await fulfilPayment(scope, p, { amountCents: intent.amountCents, currency: intent.currency, chargeId: intent.chargeId });
        }
        await scope.trx.updateTable('user_settings').set({ auto_recharge_failures: 0, auto_recharge_retry_at: 0 }).where('user_id', '=', userId).execute();
      });
    } catch (e) {
      const failures = s.auto_recharge_failures + 1;
      const wait = Math.min(BACKOFF_MAX_MS, (this.opts.backoffBaseMs ?? BACKOFF_BASE_MS) * 2 ** (failures - 1));
      await this.core.writer.transaction(async (scope) => {
        const p = await lockPayment(scope, this.core.database.dialect, { id: payment.id });
        if (p) await failPayment(scope, p, (e as Error).message || 'The card was declined.');
        // Re-armed, but not before the backoff ends.
        await scope.trx
          .updateTable('user_settings')
          .set({ auto_recharge_fired: 0, auto_recharge_failures: failures, auto_recharge_retry_at: scope.now + wait })
          .where('user_id', '=', userId)
          .execute();
      });
    }
    return payment;
  }
}
