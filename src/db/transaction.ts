import { type Kysely, sql } from 'kysely';
import type { Database } from './open.js';
import type { DB } from './schema.js';

/**
 * Runs `fn` in a transaction on one connection that, on SQLite, takes the write lock up
 * front (BEGIN IMMEDIATE), so another process cannot make it retry mid-way; rolled back
 * when `fn` throws. Resolves once the commit is durable (SQLite FULL: after the WAL's sync,
 * which runs off the event loop, open.ts `sqliteWalSync`).
 */
export async function exclusiveTransaction<T>(database: Database, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  const { db, dialect, sqliteCommit } = database;
  const out = await db.connection().execute(async (conn) => {
    // SQLite with synchronous=FULL: a transaction whose COMMIT does not sync; the sync
    // follows below, off the event loop, once the connection is free for the next statement.
    if (sqliteCommit) await sqliteCommit.begin();
    else await sql.raw(dialect === 'sqlite' ? 'begin immediate' : 'begin').execute(conn);
    try {
      const out = await fn(conn);
      if (sqliteCommit) sqliteCommit.commit();
      else await sql.raw('commit').execute(conn);
      return out;
    } catch (e) {
      // The error that matters is `e`; a failed rollback (a dead connection) adds nothing.
      await sql
        .raw('rollback')
        .execute(conn)
        .catch(() => undefined);
      throw e;
    } finally {
      sqliteCommit?.end();
    }
  });
  // Resolves (and the caller acknowledges) only once the commit is on disk.
  if (sqliteCommit) await sqliteCommit.sync();
  return out;
}
