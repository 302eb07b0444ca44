/**
 * The embedded database holds password, token and key hashes: a new database file, its
 * WAL and a backup of it are readable by their owner only (0600), as the secrets beside
 * them are, whatever the process's umask lets other files be.
 */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backupSqlite } from '../../src/db/backup.js';
import { openDatabase } from '../../src/db/open.js';

const mode = (file: string) => statSync(file).mode & 0o777;

describe('the SQLite files', () => {
  it('are created 0600: the database, its WAL and its backup; an existing file keeps its mode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'credits-modes-'));
    const path = join(dir, 'data', 'credits.db');
    const database = await openDatabase({ sqlitePath: path });
    try {
      await database.db.schema.createTable('t').addColumn('x', 'integer').execute();
      await database.db
        .insertInto('t' as never)
        .values({ x: 1 } as never)
        .execute();
      expect(mode(path)).toBe(0o600);
      expect(mode(`${path}-wal`)).toBe(0o600);
      const backup = join(dir, 'backups', 'copy.db');
      await backupSqlite(path, backup);
      expect(mode(backup)).toBe(0o600);
    } finally {
      await database.close();
    }
    // A file the operator made (here 0640) is opened as it is.
    const own = join(dir, 'own.db');
    writeFileSync(own, '', { mode: 0o640 });
    const other = await openDatabase({ sqlitePath: own });
    await other.close();
    expect(mode(own)).toBe(0o640 & ~process.umask());
  });
});
