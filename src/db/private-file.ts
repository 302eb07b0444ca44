import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Creates a new database file (and its directory) readable and writable by its owner only (0600), as the
 * secrets beside it are: it holds password, token and key hashes. SQLite gives its -wal and
 * -shm files the database file's mode, and an empty file is a new database to it. A file
 * that exists keeps the mode its operator gave it.
 */
export function createPrivate(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}
