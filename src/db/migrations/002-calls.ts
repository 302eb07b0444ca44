import { type Kysely, sql } from 'kysely';

/** Calls get the id VAPI knows them by, separate from ours (it is only known once VAPI answers). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('vapi_calls').addColumn('vapi_id', 'text').execute();
  await db.schema.alterTable('vapi_calls').addColumn('idempotency_id', 'text').execute();
  await db.schema.createIndex('vapi_calls_vapi_id').on('vapi_calls').column('vapi_id').unique().execute();
  await sql`select 1`.execute(db);
}

export { notReversible as down } from './helpers.js';
