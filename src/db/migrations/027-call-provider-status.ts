import type { Kysely } from 'kysely';

/**
 * VAPI's own word for a call it placed (`vapi_calls.vapi_status`): `queued` when VAPI
 * accepts it, then `ringing`, `in-progress`, `forwarding` as its status-update messages (or
 * the sweeper's `GET /call/:id` of a call left waiting) say. API.md: call statuses in every
 * answer follow VAPI's words, so a call VAPI has queued is answered `queued`, not
 * `in-progress`. A simulated call's is `in-progress` (the simulated provider's answer); null
 * for calls placed before this migration (answered by their `status`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('vapi_calls').addColumn('vapi_status', 'text').execute();
}
