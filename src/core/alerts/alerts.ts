import type { Kysely } from 'kysely';
import type { AlertType, DB } from '../../db/schema.js';
import { emitEvent } from '../events/emit-event.js';
import { newId } from '../ids.js';
import type { BalanceChange } from '../ledger/types.js';
import type { ErrorLog } from '../log.js';
import { formatCredits, mcToCredits } from '../../contracts/money.js';
import { SettingsCache } from '../settings-cache.js';

/** Adds an in-app alert (inside the caller's transaction when given one). */
export async function createAlert(
  db: Kysely<DB>,
  userId: string,
  type: AlertType,
  message: string,
  now: number,
  metadata?: Record<string, unknown>,
): Promise<string> {
  const id = newId(now);
  await db
    .insertInto('credit_alerts')
    .values({ id, user_id: userId, type, message, read: 0, metadata: metadata ? JSON.stringify(metadata) : null, created_at: now })
    .execute();
  return id;
}

/**
 * Raises low_balance once per downward crossing of the user's threshold and depleted when
 * available reaches zero, from the balance changes the writer publishes after each commit.
 * "Once" holds across batches and instances: the `below_threshold` flag flips with a
 * conditional UPDATE, and only the statement that flips it writes the alert, in the same
 * transaction (a failure between the two cannot leave the flag set and the alert unsent).
 * Thresholds are cached briefly so the common case (well above the threshold) costs no
 * query. A failed check is logged.
 */
export class ThresholdAlerts {
  private readonly thresholds: SettingsCache<number>;
  private chain: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly log: ErrorLog;

  constructor(
    private readonly db: Kysely<DB>,
    opts: { log: ErrorLog; now?: () => number; ttlMs?: number },
  ) {
    this.now = opts.now ?? Date.now;
    this.log = opts.log;
    this.thresholds = new SettingsCache<number>(opts.ttlMs ?? 5000, this.now);
  }

  /** Forget a user's cached threshold (their settings changed). */
  invalidate(userId: string) {
    this.thresholds.invalidate(userId);
  }

  /** Queues the checks for a commit's changes; they run one commit at a time, in order. */
  onCommit(changes: BalanceChange[]): Promise<void> {
    this.chain = this.chain.then(() => this.check(changes)).catch((err) => this.log.error({ err }, 'low-balance check failed'));
    return this.chain;
  }

  /** Resolves when every queued check is done. */
  idle(): Promise<void> {
    return this.chain;
  }

  private threshold(userId: string): Promise<number> {
    return this.thresholds.get(userId, async () => {
      const row = await this.db
        .selectFrom('user_settings')
        .select('low_balance_threshold_mc')
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row?.low_balance_threshold_mc ?? 0;
    });
  }

  private async check(changes: BalanceChange[]) {
    for (const c of changes) {
      try {
        await this.checkOne(c);
      } catch (err) {
        this.log.error({ err, userId: c.userId }, 'low-balance check failed');
      }
    }
  }

  private async checkOne(c: BalanceChange) {
    if (c.availableMc === c.previousAvailableMc) return;
    const now = this.now();
    const threshold = await this.threshold(c.userId);
    const wentDown = c.availableMc < c.previousAvailableMc;
    if (wentDown && c.availableMc < threshold && c.previousAvailableMc >= 0) {
      await this.db.transaction().execute(async (trx) => {
        const r = await trx
          .updateTable('user_settings')
          .set({ below_threshold: 1, updated_at: now })
          .where('user_id', '=', c.userId)
          .where('below_threshold', '=', 0)
          .where('low_balance_threshold_mc', '>', c.availableMc)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) return;
        await createAlert(
          trx,
          c.userId,
          'low_balance',
          `Your available credits fell to ${formatCredits(c.availableMc)}, below your threshold of ${formatCredits(threshold)}.`,
          now,
          { availableMc: c.availableMc, thresholdMc: threshold },
        );
        await emitEvent(trx, { type: 'balance.low', accountId: c.userId, data: { accountId: c.userId, available: mcToCredits(c.availableMc), threshold: mcToCredits(threshold) } }, now);
      });
    } else if (!wentDown && c.availableMc >= threshold) {
      await this.db
        .updateTable('user_settings')
        .set({ below_threshold: 0, updated_at: now })
        .where('user_id', '=', c.userId)
        .where('below_threshold', '=', 1)
        .where('low_balance_threshold_mc', '<=', c.availableMc)
        .execute();
    }
    if (wentDown && c.availableMc <= 0 && c.previousAvailableMc > 0) {
      await this.db.transaction().execute(async (trx) => {
        await createAlert(trx, c.userId, 'depleted', 'You have no credits left. Buy credits to keep using metered features.', now, {
          availableMc: c.availableMc,
        });
        await emitEvent(trx, { type: 'balance.depleted', accountId: c.userId, data: { accountId: c.userId, available: mcToCredits(c.availableMc) } }, now);
      });
    }
  }
}
