import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';

export const BACKOFF_BASE_MS = 15 * 60_000;
export const BACKOFF_MAX_MS = 24 * 3_600_000;

/**
 * Re-arms a user's auto-recharge after a recharge that did not happen, so it tries again
 * instead of silently stopping: not before `retryAt` when given (the monthly cap: the next
 * month), else after the failure backoff (15 minutes, doubling with each failure in a
 * row, at most a day). Runs in the caller's transaction, beside what explains it (the
 * failed payment, the alert).
 */
export async function rearmAutoRecharge(
  trx: Kysely<DB>,
  userId: string,
  now: number,
  opts: { retryAt?: number; backoffBaseMs?: number } = {},
): Promise<void> {
  if (opts.retryAt !== undefined) {
    await trx
      .updateTable('user_settings')
      .set({ auto_recharge_fired: 0, auto_recharge_retry_at: opts.retryAt, updated_at: now })
      .where('user_id', '=', userId)
      .execute();
    return;
  }
  const s = await trx.selectFrom('user_settings').select('auto_recharge_failures').where('user_id', '=', userId).executeTakeFirst();
  const failures = (s?.auto_recharge_failures ?? 0) + 1;
  const wait = Math.min(BACKOFF_MAX_MS, (opts.backoffBaseMs ?? BACKOFF_BASE_MS) * 2 ** (failures - 1));
  await trx
    .updateTable('user_settings')
    .set({ auto_recharge_fired: 0, auto_recharge_failures: failures, auto_recharge_retry_at: now + wait, updated_at: now })
    .where('user_id', '=', userId)
    .execute();
}
