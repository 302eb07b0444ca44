import type { Kysely } from 'kysely';
import { addColumns, withDefault } from './helpers.js';

/** Auto-recharge state per user: armed/fired for the current crossing, and backoff after declines. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await addColumns(db, 'user_settings', {
    auto_recharge_fired: withDefault('integer', 0),
    auto_recharge_failures: withDefault('integer', 0),
    auto_recharge_retry_at: withDefault('bigint', 0),
  });
}

export { notReversible as down } from './helpers.js';
