import { type Kysely, sql } from 'kysely';
import type { Database } from './open.js';
import type { DB } from './schema.js';

/**
 * Runs `fn` in a transaction on one connection that, on SQLite, takes the write lock up
 * front (BEGIN IMMEDIATE), so another process cannot make it retry mid-way; rolled back
 * when `fn` throws.
 */
export function exclusiveTransaction<T>(database: Database, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  const { db, dialect } = database;
  return db.connection().execute(async (conn) => {
    await sql.raw(dialect === 'sqlite' ? 'begin immediate' : 'begin').execute(conn);
    try {
      const out = await fn(conn);
      await sql.raw('commit').execute(conn);
      return out;
    } catch (e) {
      // The error that matters is `e`; a failed rollback (a dead connection) adds nothing.
      await sql
        .raw('rollback')
        .execute(conn)
        .catch(() => undefined);
      throw e;
    }
  });
}
