/**
 * Backups of the embedded SQLite database, taken online while the service runs.
 *
 * A backup is `VACUUM INTO` on a connection of its own, in a worker thread: one read
 * transaction, so the copy is the database as it was at one instant (WAL mode lets the
 * writer go on meanwhile), and the service's event loop is never blocked by it. The
 * copy is written under a temporary name (`<name>.partial`) and fsynced; then its
 * SHA-256 and the ledger heads read from the copy itself (each account's seq and last
 * hash) go into a manifest beside it (`<name>.json`), and only then does the copy get
 * its final name. So a file `<name>` with its manifest is always a whole backup; a
 * backup cut off (the process killed, the disk full) leaves only a `.partial` or a
 * manifest without its database, and neither is ever listed or restored.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { isSqliteBusy } from './errors.js';
import { createPrivate } from './private-file.js';

export const MANIFEST_FORMAT = 'credits-backup/1';
const PARTIAL = '.partial';
/** A `.partial` file untouched for this long belongs to a backup that died. */
const STALE_PARTIAL_MS = 10 * 60_000;

export interface LedgerHead {
  accountId: string;
  seq: number;
  lastHash: string;
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  /** The database file's name (beside the manifest). */
  file: string;
  /** When the backup began: everything committed before this instant is in it. */
  startedAt: string;
  completedAt: string;
  durationMs: number;
  sizeBytes: number;
  sha256: string;
  /** The migrations applied in the copy. */
  migrations: string[];
  /** Every account's chain head in the copy. */
  heads: LedgerHead[];
}

export interface BackupResult extends BackupManifest {
  /** Absolute path of the backup's database file. */
  path: string;
}

export class BackupError extends Error {}

export function manifestPath(file: string): string {
  return `${file}.json`;
}

/** `credits-2026-11-01T12-00-00-123Z.db`: sortable, and safe on every file system. */
export function backupFileName(at: Date): string {
  return `credits-${at.toISOString().replace(/[:.]/g, '-')}.db`;
}

// The worker's code runs as CommonJS from a string, so it needs no file of its own (the
// same from src/ under tsx, from dist/, and inside the test runner); better-sqlite3 is
// passed by its resolved path.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.module);
try {
  const src = new SQLite(workerData.source, { fileMustExist: true, timeout: 15000 });
  try {
    src.prepare('VACUUM INTO ?').run(workerData.target);
  } finally {
    src.close();
  }
  const copy = new SQLite(workerData.target, { fileMustExist: true, readonly: true });
  try {
    const has = (t) => copy.prepare("select count(*) as n from sqlite_master where type = 'table' and name = ?").get(t).n > 0;
    const heads = has('user_credits')
      ? copy.prepare('select user_id as accountId, seq, last_hash as lastHash from user_credits order by user_id').all()
      : [];
    const migrations = has('kysely_migration') ? copy.prepare('select name from kysely_migration order by name').all().map((r) => r.name) : [];
    parentPort.postMessage({ ok: true, heads, migrations });
  } finally {
    copy.close();
  }
} catch (e) {
  parentPort.postMessage({ ok: false, error: String((e && e.message) || e) });
}
`;

const sqliteModule = createRequire(import.meta.url).resolve('better-sqlite3');

function copyInWorker(source: string, target: string): Promise<{ heads: LedgerHead[]; migrations: string[] }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { module: sqliteModule, source, target } });
    let settled = false;
    worker.once('message', (m: { ok: true; heads: LedgerHead[]; migrations: string[] } | { ok: false; error: string }) => {
      settled = true;
      if (m.ok) resolve({ heads: m.heads, migrations: m.migrations });
      else reject(new BackupError(m.error));
    });
    worker.once('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new BackupError(`the backup worker stopped (${code})`));
    });
  });
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Copies the SQLite database at `source` to `target` (a file that must not exist yet),
 * online and consistent, with its manifest beside it. Returns the manifest.
 */
export async function backupSqlite(source: string, target: string, now: () => number = Date.now): Promise<BackupResult> {
  if (!existsSync(source)) throw new BackupError(`no database at ${source}`);
  if (existsSync(target)) throw new BackupError(`${target} exists already`);
  await mkdir(dirname(target), { recursive: true });
  const started = now();
  const partial = target + PARTIAL;
  await rm(partial, { force: true });
  try {
    // Owner-only, as the database (createPrivate): VACUUM INTO fills an empty file.
    createPrivate(partial);
    const { heads, migrations } = await copyInWorker(source, partial);
    await fsyncPath(partial);
    const sizeBytes = (await stat(partial)).size;
    const sha256 = await sha256File(partial);
    const completed = now();
    const manifest: BackupManifest = {
      format: MANIFEST_FORMAT,
      file: basename(target),
      startedAt: new Date(started).toISOString(),
      completedAt: new Date(completed).toISOString(),
      durationMs: completed - started,
      sizeBytes,
      sha256,
      migrations,
      heads,
    };
    // The manifest first, the database's final name last: a file under its final name
    // always has its manifest, and both are on disk.
    const m = manifestPath(target);
    await writeFile(m + PARTIAL, `${JSON.stringify(manifest, null, 1)}\n`);
    await fsyncPath(m + PARTIAL);
    await rename(m + PARTIAL, m);
    await rename(partial, target);
    await fsyncPath(dirname(target));
    return { ...manifest, path: target };
  } catch (e) {
    await rm(partial, { force: true }).catch(() => {});
    await rm(manifestPath(target) + PARTIAL, { force: true }).catch(() => {});
    throw e;
  }
}

/** The manifest beside `file`, or why there is none usable. */
export async function readManifest(file: string): Promise<BackupManifest> {
  let text: string;
  try {
    text = await readFile(manifestPath(file), 'utf8');
  } catch {
    throw new BackupError(`${file} has no manifest (${basename(manifestPath(file))}): it is not a complete backup`);
  }
  let m: BackupManifest;
  try {
    m = JSON.parse(text) as BackupManifest;
  } catch {
    throw new BackupError(`the manifest of ${file} is not valid JSON`);
  }
  if (m.format !== MANIFEST_FORMAT || typeof m.sha256 !== 'string' || !Array.isArray(m.heads)) {
    throw new BackupError(`the manifest of ${file} is not a ${MANIFEST_FORMAT} manifest`);
  }
  if (m.file !== basename(file)) throw new BackupError(`the manifest beside ${file} describes ${m.file}`);
  return m;
}

/** Reads the manifest and checks the file's size and SHA-256 against it; throws BackupError when they differ. */
export async function checkBackup(file: string): Promise<BackupManifest> {
  // The file first: a mistyped path says so, not that its manifest is missing.
  if (!existsSync(file)) throw new BackupError(`${file} does not exist`);
  const m = await readManifest(file);
  const size = (await stat(file)).size;
  if (size !== m.sizeBytes)
    throw new BackupError(`${file} is ${size} bytes, its manifest says ${m.sizeBytes}: not the file that was backed up`);
  const sha = await sha256File(file);
  if (sha !== m.sha256) throw new BackupError(`${file} does not match its checksum (sha256 ${sha}, manifest ${m.sha256})`);
  return m;
}

export interface ListedBackup {
  path: string;
  manifest: BackupManifest;
}

/** The complete backups in `dir` (a database file under its final name with its manifest), oldest first. */
export async function listBackups(dir: string): Promise<ListedBackup[]> {
  if (!existsSync(dir)) return [];
  const out: ListedBackup[] = [];
  for (const name of (await readdir(dir)).sort()) {
    if (!/^credits-.*\.db$/.test(name)) continue;
    const path = join(dir, name);
    try {
      out.push({ path, manifest: await readManifest(path) });
    } catch {
      // No manifest: not a complete backup.
    }
  }
  return out.sort((a, b) => a.manifest.startedAt.localeCompare(b.manifest.startedAt));
}

/**
 * Keeps the newest `keep` complete backups in `dir` and deletes the older ones, a manifest
 * whose database is gone, and `.partial` files nobody has written to for ten minutes (left
 * by a backup that died). Returns the paths deleted.
 */
export async function pruneBackups(dir: string, keep: number, now: () => number = Date.now): Promise<string[]> {
  const removed: string[] = [];
  const backups = await listBackups(dir);
  for (const b of backups.slice(0, Math.max(0, backups.length - keep))) {
    await rm(b.path, { force: true });
    await rm(manifestPath(b.path), { force: true });
    removed.push(b.path);
  }
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    if (name.endsWith(PARTIAL)) {
      const s = await stat(path).catch(() => null);
      if (s && now() - s.mtimeMs > STALE_PARTIAL_MS) {
        await rm(path, { force: true });
        removed.push(path);
      }
    } else if (/^credits-.*\.db\.json$/.test(name) && !existsSync(path.slice(0, -'.json'.length))) {
      await rm(path, { force: true });
      removed.push(path);
    }
  }
  return removed;
}

/**
 * Whether another connection (a running service, a `credits` command) has the SQLite
 * database open: an exclusive lock cannot be had while any other connection in WAL mode
 * holds it open, even idle.
 */
export function sqliteInUse(path: string): boolean {
  if (!existsSync(path)) return false;
  const db = new SQLite(path, { fileMustExist: true, timeout: 200 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('begin exclusive');
    db.exec('commit');
    return false;
  } catch (e) {
    if (isSqliteBusy(e)) return true;
    throw e;
  } finally {
    db.close();
  }
}
