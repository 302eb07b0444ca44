/**
 * A migrated empty database for the index tests (test/db/index-*.test.ts), opened before the
 * describe's tests and closed after them, and the plan of a statement on it: SQLite's
 * `explain query plan` details, or PostgreSQL's `explain` with sequential scans off (the test
 * tables are empty, and the question is whether an index can serve the query).
 */
import { CompiledQuery, type Kysely, sql } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import { migrateToLatest } from '../../src/db/migrate.js';
import type { Dialect } from '../../src/db/open.js';
import type { DB } from '../../src/db/schema.js';
import { openEmptyTestDb } from './db.js';

export interface PlannedDb {
  /** The database (set once the describe's beforeAll has run). */
  readonly db: Kysely<DB>;
  /** The plan of `text` with `parameters` bound, one line per step. */
  plan(text: string, parameters?: readonly unknown[]): Promise<string>;
}

export function migratedDbForPlans(dialect: Dialect): PlannedDb {
  let db: Kysely<DB> | undefined;
  let dispose: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const empty = await openEmptyTestDb(dialect, { synchronous: 'OFF', pgPoolSize: 2 });
    db = empty.database.db;
    dispose = empty.dispose;
    await migrateToLatest(db);
  });
  afterAll(() => dispose?.());
  const opened = (): Kysely<DB> => {
    if (!db) throw new Error('the database is opened in beforeAll');
    return db;
  };
  return {
    get db() {
      return opened();
    },
    async plan(text, parameters = []) {
      if (dialect === 'sqlite') {
        const rows = await opened().executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${text}`, [...parameters]));
        return rows.rows.map((r) => r.detail).join('\n');
      }
      return opened()
        .transaction()
        .execute(async (trx) => {
          await sql`set local enable_seqscan = off`.execute(trx);
          const rows = await trx.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${text}`, [...parameters]));
          return rows.rows.map((r) => r['QUERY PLAN']).join('\n');
        });
    },
  };
}
