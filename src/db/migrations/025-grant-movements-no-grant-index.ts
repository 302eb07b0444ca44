import { type Kysely, sql } from 'kysely';
import { notReversible } from './helpers.js';

/**
 * grant_movements keeps no index by grant (issue 21, goals 2 and 3). Every debit writes one
 * movement per grant it took credits from, and `grant_movements_grant (grant_id)` put each
 * account's entry on its own leaf page: with the load spread over many accounts, a batch
 * touched a leaf of it per account, and on SQLite each touched page is a 4 KiB page image in
 * the WAL (bench/wal-pages.ts: 1.37 of the 6.36 frames a debit over 64 accounts), written,
 * synced and checkpointed at every commit; on PostgreSQL an index entry per movement.
 *
 * No query reads by it: the liability report reads the movements by time
 * (`grant_movements_time`), a reversal by ledger row (the primary key, transaction_id
 * first), and `credits verify` now sums each grant's movements page by page in the primary
 * key's order (verify-grants.ts); the release before this one, whose verify grouped them by
 * grant, still gets the same answer (by a sort instead of the index).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop index grant_movements_grant`.execute(db);
}

export { notReversible as down };
