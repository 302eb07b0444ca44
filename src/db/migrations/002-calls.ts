import { type Kysely, sql } from 'kysely';
import { createUniqueIndex } from './helpers.js';

/** Calls get the id VAPI knows them by, separate from ours (it is only known once VAPI answers). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('vapi_calls').addColumn('vapi_id', 'text').execute();
  await db.schema.alterTable('vapi_calls').addColumn('idempotency_id', 'text').execute();
  await createUniqueIndex(db, 'vapi_calls_vapi_id', 'vapi_calls', ['vapi_id']);
  await sql`select 1`.execute(db);
}

export { notReversible as down } from './helpers.js';
