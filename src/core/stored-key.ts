/**
 * An idempotency key stored by a use-case in its own transaction (a simulated refund, a promo
 * redemption), beside the effect it answers for: read once the effect's row is locked, written
 * with the answer. The ledger writer's ops store theirs the same way (load-batch.ts, decide.ts).
 */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { idempotencyConflict } from './errors.js';

/** The answer stored with `id`: `{ reply }` when the fingerprint matches, 409 when it differs, null when the key is new. */
export async function storedReply(trx: Kysely<DB>, id: string, fingerprint: string): Promise<{ reply: unknown } | null> {
  const row = await trx.selectFrom('idempotency_keys').select(['fingerprint', 'result']).where('id', '=', id).executeTakeFirst();
  if (!row) return null;
  if (row.fingerprint !== fingerprint) throw idempotencyConflict();
  return { reply: (JSON.parse(row.result) as { reply?: unknown }).reply };
}

/** Stores `reply` under `id` (in the caller's transaction, with the effect). */
export async function storeReply(trx: Kysely<DB>, id: string, fingerprint: string, reply: unknown, now: number): Promise<void> {
  await trx
    .insertInto('idempotency_keys')
    .values({ id, fingerprint, result: JSON.stringify({ reply: reply ?? null }), created_at: now })
    .execute();
}
