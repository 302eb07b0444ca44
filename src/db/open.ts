import { fdatasync, openSync } from 'node:fs';
import { isSqliteBusy } from './errors.js';
import { createPrivate } from './private-file.js';
import { walCheckpointer } from './wal-checkpointer.js';
import SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresDialect,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  type TransactionSettings,
} from 'kysely';
import type pg from 'pg';
import type { DB } from './schema.js';
import { PipelinedPool } from './pg-pipeline.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Database {
  db: Kysely<DB>;
  dialect: Dialect;
  close(): Promise<void>;
  /** The pg pool (postgres only), for LISTEN/NOTIFY. */
  pgPool?: pg.Pool;
  /**
   * Postgres with `pgPipelinedWrites`: the ledger writer's own connections, in pg's pipeline
   * mode, on which a batch costs two round trips instead of four (pg-pipeline.ts).
   */
  pgWriter?: PipelinedPool;
  /**
   * SQLite only: the one better-sqlite3 connection under `db`, with cached statements.
   * Statements run on it are part of whatever transaction `db` has open (the ledger's
   * hot writes use it to skip the query builder).
   */
  sqlite?: SqliteHandle;
  /**
   * SQLite with `synchronous=FULL` on a file: a commit whose WAL sync runs off the event
   * loop (see `sqliteWalSync`). exclusiveTransaction commits through it.
   */
  sqliteCommit?: SqliteCommit;
}

export interface SqliteCommit {
  /**
   * BEGIN IMMEDIATE of a transaction whose COMMIT will not wait for the disk. While another
   * connection holds the write lock (the checkpoint worker's RESTART, or its write that
   * starts the WAL again), it retries on a timer instead of sleeping in SQLite's busy
   * handler, which would hold the event loop.
   */
  begin(): Promise<void>;
  /** COMMIT of begin()'s transaction, prepared on the raw connection (cheaper than the query builder's). */
  commit(): void;
  /** After its COMMIT or ROLLBACK: the connection syncs in its commits again. */
  end(): void;
  /** Resolves once everything committed so far is on disk (fdatasync of the WAL). */
  sync(): Promise<void>;
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
  /**
   * SQLite: commits sync and checkpoint on the event loop, as SQLite does by itself (the
   * behaviour before sqliteWalSync and wal-checkpointer.ts; bench/prof-sqlite-commit.ts
   * compares the two). Off by default.
   */
  sqliteInlineCommit?: boolean;
  /**
   * Postgres: the ledger writer's batches on a pool of their own in pg's pipeline mode,
   * `begin` written with the lock and the write with `commit` (pg-pipeline.ts;
   * PG_PIPELINED_WRITES).
   */
  pgPipelinedWrites?: boolean;
  /**
   * Postgres, with `pgPipelinedWrites`: the writer's statements are named prepared statements,
   * parsed once per connection instead of at every batch (pg-pipeline.ts; PG_PREPARED_WRITES).
   */
  pgPreparedWrites?: boolean;
}

/** Connections of the writer's pipelined pool: batches in flight (WRITER_PIPELINE, at most 2 in practice) and one spare. */
const WRITER_POOL_SIZE = 3;

// BIGINT (20), NUMERIC (1700, what SUM(bigint) returns) and COUNT's int8 become JS numbers:
// every amount we store is an integer far below 2^53.
function pgTypes(driver: typeof pg) {
  return {
    getTypeParser(oid: number, format?: string) {
      if (oid === 20 || oid === 1700) return (v: string) => Number(v);
      // biome-ignore lint/suspicious/noExplicitAny: pg's own signature
      return (driver.types.getTypeParser as any)(oid, format);
    },
  };
}

/**
 * The writer's pool: as the others, with `plan_cache_mode = force_generic_plan` on its sessions.
 * Its statements are prepared (pg-pipeline.ts) and run with the same shapes batch after batch;
 * with the default `auto` PostgreSQL plans each execution again (custom plans: 8.4% of the
 * backends' CPU in bench/analysis.md, "PostgreSQL backends' CPU"); generic plans are planned
 * once per statement and connection (test/db/writer-generic-plans.test.ts: they read by the
 * same indexes). A URL's `options` replace a pool's (node-postgres), so the setting goes into
 * the URL's own, first: a `-c plan_cache_mode=...` of the URL's comes later and wins.
 */
export function writerConfig(config: pg.PoolConfig): pg.PoolConfig {
  const setting = '-c plan_cache_mode=force_generic_plan';
  const url = config.connectionString ? new URL(config.connectionString) : undefined;
  const own = url?.searchParams.get('options');
  if (url && own !== null && own !== undefined) {
    url.searchParams.set('options', `${setting} ${own}`);
    return { ...config, connectionString: url.toString() };
  }
  return { ...config, options: [setting, config.options].filter(Boolean).join(' ') };
}

export function isPostgresUrl(url: string | undefined): url is string {
  return !!url && /^postgres(ql)?:\/\//.test(url);
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (isPostgresUrl(opts.databaseUrl)) {
    // node-postgres is loaded only for PostgreSQL: an embedded (SQLite) start does not pay its import.
    const { default: driver } = await import('pg');
    const config: pg.PoolConfig = {
      connectionString: opts.databaseUrl,
      max: opts.pgPoolSize ?? 10,
      // With the server down or unreachable a request fails (503) instead of waiting forever.
      connectionTimeoutMillis: 5000,
      types: pgTypes(driver),
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
    };
    const pool = guarded(new driver.Pool(config));
    const writer =
      (opts.pgPipelinedWrites ?? true)
        ? new PipelinedPool(guarded(new driver.Pool({ ...writerConfig(config), max: WRITER_POOL_SIZE, pipeline: true })), {
            prepared: opts.pgPreparedWrites ?? true,
          })
        : undefined;
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      dialect: 'postgres',
      pgPool: pool,
      ...(writer ? { pgWriter: writer } : {}),
      close: async () => {
        await writer?.end();
        await db.destroy();
      },
    };
  }
  const path = opts.sqlitePath ?? './data/credits.db';
  if (path !== ':memory:' && path !== '') createPrivate(path);
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  const synchronous = opts.sqliteSynchronous ?? 'FULL';
  sqlite.pragma(`synchronous = ${synchronous}`);
  sqlite.pragma('busy_timeout = 15000');
  sqlite.pragma('foreign_keys = ON');
  // Statement journals stay in memory: a statement in a transaction that may fail halfway (a
  // multi-row insert, an upsert) copies each page it first changes to a statement journal,
  // kept in memory up to 64 KiB and then spilled to a temporary file (SQLite's pager.c,
  // SQLITE_STMTJRNL_SPILL) unless temp_store is MEMORY. A writer's batch over many accounts
  // touches a leaf page per account in each index keyed by account, so its inserts spilled:
  // a file's open, writes and close in each batch (bench/analysis.md, "Many accounts on
  // SQLite"). Such a journal only undoes a failed statement inside a transaction; it plays
  // no part in crash recovery, so durability is unchanged.
  sqlite.pragma('temp_store = MEMORY');
  const handle = withStatementCache(sqlite);
  const onFile = path !== ':memory:' && sqlite.pragma('journal_mode', { simple: true }) === 'wal' && !opts.sqliteInlineCommit;
  // Checkpoints leave the committing connection (each one cost a commit the WAL's fsync plus
  // the database file's writes and fsync, on the event loop: the metered route's tail) for a
  // worker thread's connection; see wal-checkpointer.ts.
  const checkpointer = onFile ? walCheckpointer(path, sqlite) : null;
  const db = new Kysely<DB>({ dialect: new ImmediateSqliteDialect({ database: handle }) });
  const commit = onFile && synchronous === 'FULL' ? sqliteWalSync(sqlite, path) : undefined;
  return {
    db,
    dialect: 'sqlite',
    sqlite: handle,
    ...(commit ? { sqliteCommit: commit } : {}),
    close: async () => {
      // The checkpointer's connection closes first, so this one, the last, checkpoints and
      // removes the WAL as it closes.
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}

/**
 * The query builder's transactions on SQLite begin IMMEDIATE, taking the write lock up front.
 * Kysely begins them DEFERRED: a transaction that reads and then writes asks for the lock
 * mid-way, and SQLite gives a read transaction that upgrades no busy wait (btree.c
 * `sqlite3BtreeBeginTrans` calls the busy handler only from no transaction), so while another
 * connection holds the lock it fails at once with SQLITE_BUSY, a 503. The checkpoint worker
 * holds it now and then (its one-frame write after a complete checkpoint, its RESTART
 * checkpoints), and a backup may. At BEGIN IMMEDIATE the busy timeout waits for the lock
 * instead. Within the process nothing is lost: its one connection runs one transaction at a
 * time. A transaction declared read-only keeps BEGIN, and never asks for the write lock.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection, settings?: TransactionSettings): Promise<void> {
    // A read-only one (verify's snapshot) stays DEFERRED: it never asks for the lock, and run
    // from the CLI beside a live server it must not hold the server's writes back.
    await connection.executeQuery(CompiledQuery.raw(settings?.accessMode === 'read only' ? 'begin' : 'begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

/**
 * `synchronous=FULL` with the fsync off the event loop. better-sqlite3 is synchronous: a
 * COMMIT under FULL blocks the whole process for the WAL's fsync (about 1 ms here, at times
 * far more), during which no request is parsed or answered. Here the COMMIT runs under
 * NORMAL (the frames are written to the WAL, not synced) and `sync` then fdatasyncs the WAL
 * in libuv's thread pool, which is the very sync FULL would have done in the COMMIT;
 * callers acknowledge nothing before it resolves, so every acknowledged commit is as
 * durable as under FULL. A reader can see the commit during the sync (as with a Postgres
 * commit in flight); a power loss then can lose it, and it was acknowledged to no one.
 * The connection stays FULL for every other statement (autocommit writes outside the
 * writer's transactions keep syncing in their COMMIT).
 */
export function sqliteWalSync(sqlite: SQLite.Database, path: string): SqliteCommit {
  // The level cannot change inside a transaction: NORMAL from before BEGIN to after its end.
  // A PRAGMA that sets something does so when it is compiled (SQLite's pragma.c); a
  // prepared copy's first run sets nothing (the busy timeout below stayed 15 s that way):
  // each change is compiled afresh, by `exec`, which compiles, runs and finalises in C
  // (better-sqlite3's pragma() also builds a Statement object and reads its rows: about
  // 110,000 instructions a batch for its four calls, bench/analysis.md, "A batch's fixed cost").
  const begin = sqlite.prepare('begin immediate');
  const commit = sqlite.prepare('commit');
  // The connection's busy timeout, 0 from before the BEGIN to the transaction's end (see `begin`).
  const timeout = Number(sqlite.pragma('busy_timeout', { simple: true }));
  const restore = `pragma busy_timeout = ${timeout}`;
  const full = 'pragma synchronous = FULL';
  // The WAL exists while this connection is open (SQLite removes it only when the last
  // connection closes), so one descriptor serves: fdatasync on it syncs the file's data.
  let fd: number | null = null;
  /** BEGIN IMMEDIATE now, or false when another connection has the write lock (busy timeout 0 around it). */
  const tryBegin = (): boolean => {
    sqlite.exec('pragma busy_timeout = 0');
    try {
      begin.run();
      return true;
    } catch (e) {
      if (isSqliteBusy(e)) return false;
      throw e;
    } finally {
      sqlite.exec(restore);
    }
  };
  return {
    async begin() {
      // The common case in one call: NORMAL, no busy wait, and the BEGIN. The timeout stays 0
      // until end(): inside the transaction this connection holds the write lock and waits
      // for none (checkpoints are the worker's), and whatever else runs on the connection
      // meanwhile runs inside the transaction.
      sqlite.exec('pragma synchronous = NORMAL; pragma busy_timeout = 0');
      try {
        try {
          begin.run();
          return;
        } catch (e) {
          sqlite.exec(restore);
          if (!isSqliteBusy(e)) throw e;
        }
        // As long as the busy timeout would have waited, in steps of 1 ms, off the event loop;
        // between the tries the connection keeps its busy timeout for other statements.
        const end = Date.now() + timeout;
        for (;;) {
          await new Promise((r) => setTimeout(r, 1));
          if (tryBegin()) return;
          if (Date.now() >= end) throw new SQLite.SqliteError('database is locked', 'SQLITE_BUSY');
        }
      } catch (e) {
        sqlite.exec(full);
        throw e;
      }
    },
    commit() {
      commit.run();
    },
    end() {
      // Still in the transaction only if its COMMIT and ROLLBACK both failed: the level cannot
      // change there (it would throw and hide that error); the next begin() or end() sets it.
      sqlite.exec(sqlite.inTransaction ? restore : `${full}; ${restore}`);
    },
    sync() {
      if (fd === null) fd = openSync(`${path}-wal`, 'r');
      const walFd = fd;
      return new Promise<void>((resolve, reject) => {
        fdatasync(walFd, (err) => {
          if (!err) return resolve();
          // The COMMIT happened; whether it reached the disk is unknown, as with a lost
          // connection: nothing may be re-run (errors.ts).
          reject(Object.assign(new Error(`The WAL's sync failed: ${err.message}`), { code: 'SQLITE_IOERR_FSYNC' }));
        });
      });
    },
  };
}

/** A pool whose connections' failures do not kill the process. */
function guarded(pool: pg.Pool): pg.Pool {
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
  return pool;
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
    /** A statement outside the cache: one whose mode changes (`raw()`, which the query builder must not meet). */
    prepareOwn(text: string): SQLite.Statement {
      return sqlite.prepare(text);
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
