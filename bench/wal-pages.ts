/**
 * Counting aid (not part of `npm run bench`): which pages a metered batch writes to SQLite's
 * WAL, by table and index, with the load on one account or spread over many.
 *
 *   npx tsx bench/wal-pages.ts [accounts=64] [batches=200] [size=64]
 *
 * Runs the ledger writer in-process on a fresh database (as bench/count-many-accounts.ts: each
 * account funded with one grant), commits `batches` warm-up batches of `size` metered debits
 * (account i of the batch is i mod `accounts`), then, with automatic checkpoints off (inline
 * commits: no checkpoint worker; `wal_autocheckpoint = 0`), commits `batches` more and reads the
 * frames they appended to the WAL: each frame is one page image (header 24 bytes + the page),
 * so frames per batch is what a commit writes and syncs, and a checkpoint later copies back.
 * Pages are named by the b-tree that owns them (SQLite's dbstat table, read after the run:
 * a page freed or moved during it may be named by its last owner). Prints frames and distinct
 * pages per batch and per debit, by owner. WAL_PAGE_SIZE=N creates the database with that page
 * size (SQLite's default is 4096; it can only be chosen before the first table, or by VACUUM
 * outside WAL mode). WAL_GRANTS=N funds each account with N grants expiring a day apart instead of one.
 * WAL_WITHOUT_ROWID=t1,t2: rebuilds those tables as WITHOUT ROWID (their primary key is then the
 * table's b-tree, one b-tree fewer) before the warm-up, to count what that would save: nothing for
 * credit_transactions, usage_tracking and grant_movements (bench/analysis.md, "Goal 4 below capacity").
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgerKey } from '../src/core/ledger/hash.js';
import { openDatabase } from '../src/db/open.js';
import { rebuildSqliteTable } from '../src/db/migrations/helpers.js';
import { type Kysely, sql } from 'kysely';
import SQLite from 'better-sqlite3';
import { spreadLoad } from './metered-debit.js';

const KEY = new LedgerKey('bench-wal-pages-key-bench-wal-pages-key-0123');
const accounts = Number(process.argv[2] ?? 64);
const batches = Number(process.argv[3] ?? 200);
const size = Number(process.argv[4] ?? 64);

const dir = mkdtempSync(join(tmpdir(), 'credits-wal-pages-'));
const path = join(dir, 'bench.db');
if (process.env.WAL_PAGE_SIZE) {
  const s = new SQLite(path);
  s.pragma(`page_size = ${Number(process.env.WAL_PAGE_SIZE)}`);
  s.exec('create table page_size_set (x); drop table page_size_set');
  s.close();
}
const database = await openDatabase({ sqlitePath: path, sqliteInlineCommit: true });
const raw = database.sqlite;
if (!raw) throw new Error('SQLite only');
const load = await spreadLoad(database, KEY, accounts, Number(process.env.WAL_GRANTS ?? 1));
if (process.env.WAL_WITHOUT_ROWID) {
  const db = database.db as unknown as Kysely<unknown>;
  await sql`pragma foreign_keys = off`.execute(db);
  for (const t of process.env.WAL_WITHOUT_ROWID.split(',')) {
    await rebuildSqliteTable(db, t, `${t}__new`, (created) => `${created} WITHOUT ROWID`);
  }
  await sql`pragma foreign_keys = on`.execute(db);
}
const core = load.core;
await load.batches(batches, size);

// Counted run: the WAL only grows from here (no checkpoint), so the frames past its current end are this run's.
raw.prepare('pragma wal_checkpoint(TRUNCATE)').run();
raw.prepare('pragma wal_autocheckpoint = 0').run();
const pageSize = Number(raw.prepare('pragma page_size').pluck().get());
const walPath = `${path}-wal`;
const start = statSync(walPath).size;
const commits = await load.batches(batches, size);
const end = statSync(walPath).size;

const owner = new Map<number, string>();
for (const r of raw.prepare('select name, pageno from dbstat').all() as { name: string; pageno: number }[]) owner.set(r.pageno, r.name);
const frame = 24 + pageSize;
const fd = openSync(walPath, 'r');
const head = Buffer.alloc(24);
const frames = new Map<string, number>();
const pages = new Map<string, Set<number>>();
let total = 0;
// A WAL that was empty starts with its 32-byte header.
for (let at = Math.max(start, 32); at + frame <= end; at += frame) {
  readSync(fd, head, 0, 24, at);
  const page = head.readUInt32BE(0);
  const name = owner.get(page) ?? (page === 1 ? 'sqlite_schema (page 1)' : '(freed or new)');
  frames.set(name, (frames.get(name) ?? 0) + 1);
  if (!pages.has(name)) pages.set(name, new Set());
  pages.get(name)?.add(page);
  total++;
}
closeSync(fd);
const debits = commits > 0 ? batches * size : 0;
console.log(
  `${accounts} account(s), ${batches} counted batches of ${size} debits in ${commits} commits; page ${pageSize} B; ` +
    `${total} WAL frames: ${(total / commits).toFixed(1)} a commit, ${(total / debits).toFixed(2)} a debit (${((total * frame) / debits / 1024).toFixed(1)} KiB)`,
);
console.log('| b-tree | frames a commit | frames a debit | distinct pages in the run |');
console.log('|---|---:|---:|---:|');
for (const [name, n] of [...frames].sort((a, b) => b[1] - a[1])) {
  console.log(`| ${name} | ${(n / commits).toFixed(2)} | ${(n / debits).toFixed(3)} | ${pages.get(name)?.size ?? 0} |`);
}
await core.writer.close();
await database.close();
rmSync(dir, { recursive: true, force: true });
