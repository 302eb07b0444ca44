import type { Kysely } from 'kysely';
import { createIndex, createUniqueIndex } from './helpers.js';

/**
 * Calls settled from VAPI's figures, and usage that can be reversed through the ledger:
 * - usage_tracking.reverses_id: a reversal row names the usage row it takes back (at most
 *   one reversal per row: unique; NULLs do not collide on either dialect);
 * - vapi_calls.end_requested_at: when the owner asked VAPI to hang up (status `ending`);
 * - vapi_calls.settled_by: what the settlement was based on (`report`, `vapi`, `caller`,
 *   `hold` when VAPI could not tell and the whole hold was charged, `abandoned`);
 * - vapi_calls.start_usage_id: the usage row of the start charge, reversed if the call is
 *   abandoned;
 * - the owner's calls, newest first, for `GET /api/vapi/calls`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('usage_tracking').addColumn('reverses_id', 'text').execute();
  await createUniqueIndex(db, 'usage_tracking_reverses', 'usage_tracking', ['reverses_id']);
  await db.schema.alterTable('vapi_calls').addColumn('end_requested_at', 'bigint').execute();
  await db.schema.alterTable('vapi_calls').addColumn('settled_by', 'text').execute();
  await db.schema.alterTable('vapi_calls').addColumn('start_usage_id', 'text').execute();
  await createIndex(db, 'vapi_calls_user', 'vapi_calls', ['user_id', 'id']);
}

export { notReversible as down } from './helpers.js';
