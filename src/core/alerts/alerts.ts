import type { Kysely } from 'kysely';
import type { AlertType, DB } from '../../db/schema.js';
import { emitEvent } from '../events/emit-event.js';
import { newId } from '../ids.js';
import { CommitWatcher } from '../commit-watcher.js';
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
 * Sets (`below`) or clears the user's below-threshold flag, only from its other value and
 * only where the stored threshold agrees with `availableMc`: whether this statement flipped it.
 */
async function flipBelowThreshold(db: Kysely<DB>, userId: string, below: boolean, availableMc: number, now: number): Promise<boolean> {
  const r = await db
    .updateTable('user_settings')
    .set({ below_threshold: below ? 1 : 0, updated_at: now })
    .where('user_id', '=', userId)
    .where('below_threshold', '=', below ? 0 : 1)
    .where('low_balance_threshold_mc', below ? '>' : '<=', availableMc)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
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
export class ThresholdAlerts extends CommitWatcher {
  private readonly thresholds: SettingsCache<number>;
  private readonly now: () => number;

  constructor(
    private readonly db: Kysely<DB>,
    opts: { log: ErrorLog; now?: () => number; ttlMs?: number },
  ) {
    super(opts.log, 'low-balance check');
    this.now = opts.now ?? Date.now;
    this.thresholds = new SettingsCache<number>(opts.ttlMs ?? 5000, this.now);
  }

  /** Forget a user's cached threshold (their settings changed). */
  invalidate(userId: string) {
    this.thresholds.invalidate(userId);
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

  protected async checkOne(c: BalanceChange) {
    if (c.availableMc === c.previousAvailableMc) return;
    const now = this.now();
    const threshold = await this.threshold(c.userId);
    const wentDown = c.availableMc < c.previousAvailableMc;
    if (wentDown && c.availableMc < threshold && c.previousAvailableMc >= 0) {
      await this.db.transaction().execute(async (trx) => {
        if (!(await flipBelowThreshold(trx, c.userId, true, c.availableMc, now))) return;
        await createAlert(
          trx,
          c.userId,
          'low_balance',
          `Your available credits fell to ${formatCredits(c.availableMc)}, below your threshold of ${formatCredits(threshold)}.`,
          now,
          { availableMc: c.availableMc, thresholdMc: threshold },
        );
        await emitEvent(
          trx,
          {
            type: 'balance.low',
            accountId: c.userId,
            data: { accountId: c.userId, available: mcToCredits(c.availableMc), threshold: mcToCredits(threshold) },
          },
          now,
        );
      });
    } else if (!wentDown && c.availableMc >= threshold) {
      await flipBelowThreshold(this.db, c.userId, false, c.availableMc, now);
    }
    if (wentDown && c.availableMc <= 0 && c.previousAvailableMc > 0) {
      await this.db.transaction().execute(async (trx) => {
        await createAlert(trx, c.userId, 'depleted', 'You have no credits left. Buy credits to keep using metered features.', now, {
          availableMc: c.availableMc,
        });
        await emitEvent(
          trx,
          { type: 'balance.depleted', accountId: c.userId, data: { accountId: c.userId, available: mcToCredits(c.availableMc) } },
          now,
        );
      });
    }
  }
}
