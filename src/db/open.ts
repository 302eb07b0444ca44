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
}

export interface OpenOptions {
  /** `postgres://...` selects PostgreSQL; otherwise `sqlitePath` is used. */
  databaseUrl?: string | undefined;
  sqlitePath?: string;
  /** Postgres schema to use (tests give each run its own). */
  pgSchema?: string | undefined;
  pgPoolSize?: number;
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
      types: pgTypes,
      ...(opts.pgSchema ? { options: `-c search_path=${opts.pgSchema}` } : {}),
    });
    pool.on('error', () => {
      // An idle client lost its connection (server restart): the pool replaces it.
    });
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      dialect: 'postgres',
      pgPool: pool,
      ping: () => ping(db),
      close: () => db.destroy(),
    };
  }
  const path = opts.sqlitePath ?? './data/credits.db';
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${opts.sqliteSynchronous ?? 'FULL'}`);
  sqlite.pragma('busy_timeout = 15000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    db,
    dialect: 'sqlite',
    ping: () => ping(db),
    close: () => db.destroy(),
  };
}

async function ping(db: Kysely<DB>): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
