import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Database {
  db: Kysely<DB>;
  dialect: Dialect;
  /** True when the database answers a trivial query. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
  /** The pg pool (postgres only), for LISTEN/NOTIFY. */
  pgPool?: pg.Pool;
  /**
   * SQLite only: the one better-sqlite3 connection under `db`, with cached statements.
   * Statements run on it are part of whatever transaction `db` has open (the ledger's
   * hot writes use it to skip the query builder).
   */
  sqlite?: SqliteHandle;
}

export type SqliteHandle = ReturnType<typeof withStatementCache>;

export interface OpenOptions {
  /** `postgres://...` selects PostgreSQL; otherwise `sqlitePath` is used. */
  databaseUrl?: string | undefined;
  sqlitePath?: string;
  /** Postgres schema to use (tests give each run its own). */
  pgSchema?: string | undefined;
  pgPoolSize?: number;
  /**
   * Postgres `synchronous_commit` for this pool's sessions (unset: the server's setting,
   * `on` by default). `off` acknowledges a commit before its WAL is flushed: a Postgres
   * crash can lose the last acknowledged commits (never corrupt them).
   */
  pgSynchronousCommit?: string | undefined;
  /** SQLite `synchronous`: FULL (default) makes each committed batch survive power loss. */
  sqliteSynchronous?: 'FULL' | 'NORMAL' | 'OFF';
}

// BIGINT (20), NUMERIC (1700, what SUM(bigint) returns) and COUNT's int8 become JS numbers:
// every amount we store is an integer far below 2^53.
const pgTypes = {
  getTypeParser(oid: number, format?: string) {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    // biome-ignore lint/suspicious/noExplicitAny: pg's own signature
    return (pg.types.getTypeParser as any)(oid, format);
  },
};

export function isPostgresUrl(url: string | undefined): url is string {
  return !!url && /^postgres(ql)?:\/\//.test(url);
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (isPostgresUrl(opts.databaseUrl)) {
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.pgPoolSize ?? 10,
      // With the server down or unreachable a request fails (503) instead of waiting forever.
      connectionTimeoutMillis: 5000,
      types: pgTypes,
      ...(opts.pgSchema || opts.pgSynchronousCommit
        ? {
            options: [
              opts.pgSchema ? `-c search_path=${opts.pgSchema}` : '',
              opts.pgSynchronousCommit ? `-c synchronous_commit=${opts.pgSynchronousCommit}` : '',
            ]
              .filter(Boolean)
              .join(' '),
          }
        : {}),
    });
    pool.on('error', () => {
      // An idle client lost its connection (server restart): the pool replaces it.
    });
    pool.on('connect', (client) => {
      // A client checked out between two statements of a transaction has no listener of
      // the pool's: its connection dying (Postgres stopped) would be an unhandled 'error'
      // event and kill the process. The statement in flight or the next one fails instead
      // (503), and the pool drops the client on release because it is no longer queryable.
      client.on('error', () => {});
    });
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', pgPool: pool, ping: () => ping(db), close: () => db.destroy() };
  }
  const path = opts.sqlitePath ?? './data/credits.db';
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${opts.sqliteSynchronous ?? 'FULL'}`);
  sqlite.pragma('busy_timeout = 15000');
  sqlite.pragma('foreign_keys = ON');
  const handle = withStatementCache(sqlite);
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: handle }) });
  return { db, dialect: 'sqlite', sqlite: handle, ping: () => ping(db), close: () => db.destroy() };
}

async function ping(db: Kysely<DB>): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}

/**
 * Kysely's SQLite driver prepares every query anew; compiling the same SQL thousands of
 * times a second showed in the metered path's profile. This keeps the most recent
 * statements by their SQL text (better-sqlite3 statements are reusable: a run or all
 * completes before it returns). A statement still being iterated (a streamed query) is
 * busy, so another one is prepared instead.
 */
export function withStatementCache(sqlite: SQLite.Database, max = 512) {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => {
      cache.clear();
      sqlite.close();
    },
    prepare(text: string): SQLite.Statement {
      const hit = cache.get(text);
      if (hit && !hit.busy) return hit;
      const stmt = sqlite.prepare(text);
      if (!hit) {
        if (cache.size >= max) cache.delete(cache.keys().next().value as string);
        cache.set(text, stmt);
      }
      return stmt;
    },
  };
}
