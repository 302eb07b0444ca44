/**
 * SQLite with synchronous=FULL: the commit's WAL sync off the event loop (open.ts
 * sqliteWalSync) and checkpoints on a worker thread (wal-checkpointer.ts).
 */
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { isConnectionError } from './errors.js';
import { type Database, openDatabase } from './open.js';
import { exclusiveTransaction } from './transaction.js';

const dirs: string[] = [];
const opened: Database[] = [];
afterEach(async () => {
  for (const d of opened.splice(0)) await d.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function open(opts: { sqliteSynchronous?: 'FULL' | 'NORMAL'; sqliteInlineCommit?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'credits-sqlite-commit-'));
  dirs.push(dir);
  const path = join(dir, 'x.db');
  const database = await openDatabase({ sqlitePath: path, ...opts });
  opened.push(database);
  await sql`create table t (id integer primary key, a text not null)`.execute(database.db);
  return { database, path };
}

const pragma = async (d: Database, name: string) => Object.values((await sql.raw(`pragma ${name}`).execute(d.db)).rows[0] as object)[0];

async function until(ok: () => boolean | Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('SQLite commits with synchronous=FULL', () => {
  it('resolves a transaction only after its WAL sync, and keeps the connection FULL outside it', async () => {
    const { database } = await open();
    const commit = database.sqliteCommit;
    expect(commit).toBeDefined();
    if (!commit) return;
    const order: string[] = [];
    const sync = commit.sync.bind(commit);
    commit.sync = async () => {
      order.push('sync started');
      await new Promise((r) => setTimeout(r, 30));
      await sync();
      order.push('sync done');
    };
    await exclusiveTransaction(database, async (trx) => {
      await sql`insert into t (a) values ('x')`.execute(trx);
      // 1 is NORMAL: this COMMIT does not sync (a prepared PRAGMA run again would not set it).
      expect(Object.values((await sql.raw('pragma synchronous').execute(trx)).rows[0] as object)[0]).toBe(1);
      // No busy wait inside: the transaction holds the write lock.
      expect(Object.values((await sql.raw('pragma busy_timeout').execute(trx)).rows[0] as object)[0]).toBe(0);
    }).then(() => order.push('resolved'));
    expect(order).toEqual(['sync started', 'sync done', 'resolved']);
    // 2 is FULL: only the writer's transactions commit under NORMAL; and the busy timeout is back.
    expect(await pragma(database, 'synchronous')).toBe(2);
    expect(await pragma(database, 'busy_timeout')).toBe(15000);
    await expect(
      exclusiveTransaction(database, async (trx) => {
        await sql`insert into t (a) values ('y')`.execute(trx);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await pragma(database, 'synchronous')).toBe(2);
    expect((await sql<{ n: number }>`select count(*) as n from t`.execute(database.db)).rows[0]?.n).toBe(1);
  });

  it('keeps statement journals in memory, and a failed statement still undoes only itself', async () => {
    const { database } = await open();
    // 2 is MEMORY: a statement journal past 64 KiB is not spilled to a temporary file.
    expect(await pragma(database, 'temp_store')).toBe(2);
    const big = 'x'.repeat(2000);
    await exclusiveTransaction(database, async (trx) => {
      await sql`insert into t (a) values ('kept')`.execute(trx);
      // About 100 pages of rows, then a NOT NULL violation: the statement's rows go, the transaction stays.
      const rows = [...Array.from({ length: 200 }, () => sql`(${big})`), sql`(null)`];
      await expect(sql`insert into t (a) values ${sql.join(rows)}`.execute(trx)).rejects.toThrow(/NOT NULL/);
      await sql`insert into t (a) values ('after')`.execute(trx);
    });
    const left = await sql<{ a: string }>`select a from t order by id`.execute(database.db);
    expect(left.rows.map((r) => r.a)).toEqual(['kept', 'after']);
  });

  it('counts a failed sync as an unknown outcome, never re-run', () => {
    expect(isConnectionError(Object.assign(new Error("The WAL's sync failed: EIO"), { code: 'SQLITE_IOERR_FSYNC' }))).toBe(true);
  });

  it('checkpoints on the worker, not in the committing connection, and removes the WAL at close', async () => {
    const { database, path } = await open();
    await until(async () => (await pragma(database, 'wal_autocheckpoint')) === 0);
    const before = statSync(path).size;
    const big = 'x'.repeat(3000);
    for (let i = 0; i < 400; i++) {
      await exclusiveTransaction(database, async (trx) => {
        await sql`insert into t (a) values (${big})`.execute(trx);
      });
    }
    // The pages reach the database file only through a checkpoint: the worker's.
    await until(() => statSync(path).size > before + 400 * 3000);
    await database.close();
    opened.length = 0;
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('waits for another connection’s write lock on a timer, with the event loop free', async () => {
    const { database, path } = await open();
    const other = new SQLite(path);
    try {
      other.exec('begin immediate');
      const order: string[] = [];
      const tx = exclusiveTransaction(database, async (trx) => {
        await sql`insert into t (a) values ('after the other')`.execute(trx);
      }).then(() => order.push('committed'));
      // SQLite's busy handler would sleep in this thread, and the other connection (in this
      // thread too) could never let go: the timer runs only if the BEGIN waits off the loop.
      await new Promise((r) => setTimeout(r, 20));
      order.push('timer');
      other.exec("insert into t (a) values ('other'); commit");
      await tx;
      expect(order).toEqual(['timer', 'committed']);
      expect(await pragma(database, 'synchronous')).toBe(2);
      expect(await pragma(database, 'busy_timeout')).toBe(15000);
      const rows = await sql<{ a: string }>`select a from t order by id`.execute(database.db);
      expect(rows.rows.map((r) => r.a)).toEqual(['other', 'after the other']);
    } finally {
      other.close();
    }
  });

  it('begins a transaction of the query builder with the write lock, so one that reads and then writes waits for another connection', async () => {
    const { database, path } = await open();
    await sql`insert into t (a) values ('x')`.execute(database.db);
    // Another thread's connection holds the write lock for a while (as the checkpoint worker
    // does for its one-frame write and its RESTART checkpoints). A DEFERRED transaction would
    // read, then ask for the lock mid-way, where SQLite returns SQLITE_BUSY without waiting
    // (a read transaction upgrading gets no busy handler): the 503 the fuzz test met.
    const holder = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
      const db = new (require(workerData.module))(workerData.path);
      db.exec('begin immediate');
      parentPort.postMessage('held');
      setTimeout(() => { db.exec('commit'); db.close(); parentPort.postMessage('released'); }, 150);`,
      { eval: true, workerData: { module: createRequire(import.meta.url).resolve('better-sqlite3'), path } },
    );
    try {
      await new Promise((r) => holder.once('message', r));
      const updated = await database.db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('t' as never)
          .select(sql<string>`a`.as('a'))
          .executeTakeFirstOrThrow();
        await sql`update t set a = ${`${(row as { a: string }).a}y`}`.execute(trx);
        return (await sql<{ a: string }>`select a from t`.execute(trx)).rows[0]?.a;
      });
      expect(updated).toBe('xy');
    } finally {
      await holder.terminate();
    }
  });

  it('keeps a read-only transaction of the query builder DEFERRED, so it neither waits for nor holds the write lock', async () => {
    const { database, path } = await open();
    await sql`insert into t (a) values ('x')`.execute(database.db);
    const other = new SQLite(path);
    try {
      // Another connection (this thread) holds the write lock: BEGIN IMMEDIATE would sleep
      // here for the whole busy timeout and fail with SQLITE_BUSY (this thread cannot let go
      // meanwhile); a read-only snapshot (verify's) reads.
      other.exec('begin immediate');
      const rows = await database.db
        .transaction()
        .setAccessMode('read only')
        .execute(async (trx) => (await sql<{ a: string }>`select a from t`.execute(trx)).rows.map((r) => r.a));
      expect(rows).toEqual(['x']);
      other.exec("insert into t (a) values ('y'); commit");
    } finally {
      other.close();
    }
  });

  it('lets the worker start the WAL again, so the writer’s commits only append', async () => {
    const { database, path } = await open();
    await until(async () => (await pragma(database, 'wal_autocheckpoint')) === 0);
    // mxFrame from the wal-index header (as the worker reads it).
    const shm = openSync(`${path}-shm`, 'r');
    const frames = () => {
      const b = Buffer.alloc(4);
      readSync(shm, b, 0, 4, 16);
      return b.readUInt32LE(0);
    };
    try {
      for (let i = 0; i < 20; i++) {
        await exclusiveTransaction(database, async (trx) => {
          await sql`insert into t (a) values (${`row ${i}`})`.execute(trx);
        });
      }
      expect(frames()).toBeGreaterThan(1);
      // Checkpointed, then the WAL started again by the worker's own one-frame write.
      await until(() => frames() === 1, 30_000);
      await exclusiveTransaction(database, async (trx) => {
        await sql`insert into t (a) values ('appended')`.execute(trx);
      });
      expect(frames()).toBeGreaterThan(1);
      expect(await pragma(database, 'application_id')).toBe(0);
      expect((await sql<{ n: number }>`select count(*) as n from t`.execute(database.db)).rows[0]?.n).toBe(21);
    } finally {
      closeSync(shm);
    }
  });

  it('keeps SQLite’s own behaviour with sqliteInlineCommit or synchronous=NORMAL', async () => {
    const inline = await open({ sqliteInlineCommit: true });
    expect(inline.database.sqliteCommit).toBeUndefined();
    expect(await pragma(inline.database, 'wal_autocheckpoint')).toBe(1000);
    const normal = await open({ sqliteSynchronous: 'NORMAL' });
    expect(normal.database.sqliteCommit).toBeUndefined();
  });
});
