import type { Kysely } from 'kysely';

/**
 * VAPI's own word for a call it placed (`vapi_calls.vapi_status`): `queued` when VAPI
 * accepts it, then `ringing`, `in-progress`, `forwarding` as its status-update messages (or
 * its answer to `GET /call/:id`) say. API.md: call statuses in every answer follow VAPI's
 * words, so a call VAPI has queued is answered `queued`, not `in-progress`. Null for calls
 * placed before this migration and for simulated ones (answered by their `status`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('vapi_calls').addColumn('vapi_status', 'text').execute();
}
