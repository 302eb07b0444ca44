import { type Kysely, sql } from 'kysely';
import { grantsSpendingOrder } from './023-index-predicates-without-in.js';
import { isPostgres, notReversible } from './helpers.js';

/**
 * `grants.open` (1: the grant has credits left, `remaining_mc > 0`; else 0) becomes the
 * predicate of `grants_open`, the index of an account's grants in the spending order, in
 * place of `remaining_mc > 0` (issue 21, goals 2 and 3).
 *
 * Every debit changes `remaining_mc` of the grants it takes from, and a predicate that reads
 * a column makes every update of that column an update of the index:
 * - PostgreSQL: an update that changes a column an index reads (its predicate included) is
 *   not HOT, so each debit wrote a new version of the grant and an entry into each of the
 *   grants' five indexes (bench/pg-wal.ts: about 690 B of WAL a debit of 3,170, over 64
 *   accounts). `open` changes only when a grant empties or is refilled: the other updates are
 *   HOT (one heap record, no index entry).
 * - SQLite rewrites the entry of a partial index whose predicate reads a column the update
 *   sets, whether or not its value changed (bench/wal-pages.ts: `grants_open` 0.53 WAL pages
 *   a debit with 20 grants an account). The ledger writer does not set `open`: the update of
 *   `remaining_mc` no longer touches the index.
 *
 * The database keeps `open` true to `remaining_mc`, whoever writes the grant (the release
 * before this one, which never names the column, during a rolling upgrade; an operator's
 * SQL): on PostgreSQL it is a stored generated column; on SQLite (whose generated columns
 * count as changed whenever a column they read is set, which would bring the index's rewrite
 * back) two triggers set it, and only when it is wrong, so the writer's updates that leave a
 * grant open run no trigger body. `credits verify` checks it (verify-grants.ts).
 *
 * On PostgreSQL adding a stored generated column rewrites `grants` under its exclusive lock
 * (one row per grant: purchases, bonuses, promotions; quick next to the ledger's tables).
 */
export const GRANT_IS_OPEN = 'open = 1';

/** SQLite's triggers that set `open` where a write left it wrong (never where the ledger writer's update leaves a grant open). */
export const SQLITE_OPEN_TRIGGERS = {
  grants_open_inserted: `create trigger grants_open_inserted after insert on grants when (new.remaining_mc > 0) <> new.open
    begin update grants set open = (new.remaining_mc > 0) where id = new.id; end`,
  grants_open_updated: `create trigger grants_open_updated after update of remaining_mc, open on grants when (new.remaining_mc > 0) <> new.open
    begin update grants set open = (new.remaining_mc > 0) where id = new.id; end`,
};

export async function up(db: Kysely<unknown>): Promise<void> {
  const pg = await isPostgres(db);
  if (pg) {
    await sql`alter table grants add column open integer generated always as (case when remaining_mc > 0 then 1 else 0 end) stored`.execute(
      db,
    );
  } else {
    // Most grants are created with credits: the default is the common case; the insert trigger mends the rest.
    await sql`alter table grants add column open integer not null default 1`.execute(db);
    await sql`update grants set open = 0 where remaining_mc <= 0`.execute(db);
    for (const trigger of Object.values(SQLITE_OPEN_TRIGGERS)) await sql.raw(trigger).execute(db);
  }
  await sql`drop index grants_open`.execute(db);
  await sql`create index grants_open on grants (user_id, ${sql.raw(grantsSpendingOrder(pg))}) where ${sql.raw(GRANT_IS_OPEN)}`.execute(db);
}

export { notReversible as down };
