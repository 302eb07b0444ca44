/** `credits backup [--to FILE]`: an online, consistent copy of the embedded database with its manifest. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { BackupError, backupFileName, backupSqlite } from '../../db/backup.js';
import { commandConfig as config } from '../open-existing.js';

export function backupCommand(program: Command): void {
  program
    .command('backup')
    .description('copy the embedded SQLite database while the service runs, with a manifest (SHA-256, ledger heads) beside it')
    .option('--to <file>', 'where to write the backup (default: a new file in BACKUP_DIR)')
    .action(async (o: { to?: string }) => {
      const c = config();
      if (c.databaseUrl) {
        console.error(
          'credits backup: this copies the embedded SQLite database; PostgreSQL is backed up with pg_dump or base backups (docs/operations.md)',
        );
        process.exit(2);
      }
      const target = o.to ? resolve(o.to) : c.backups ? join(c.backups.dir, backupFileName(new Date())) : null;
      if (!target) {
        console.error('credits backup: give --to FILE, or set BACKUP_DIR');
        process.exit(2);
      }
      if (!existsSync(c.sqlitePath)) {
        console.error(
          `credits backup: there is no database at ${c.sqlitePath} (DATA_DIR=${c.dataDir}); run \`credits migrate\` (or \`credits serve\`) to create it.`,
        );
        process.exit(1);
      }
      // A directory that does not exist yet is made (BACKUP_DIR's first backup): said, so a mistyped --to is seen.
      const madeDir = existsSync(dirname(target)) ? null : dirname(target);
      try {
        const r = await backupSqlite(c.sqlitePath, target);
        if (madeDir) console.log(`backup: created the directory ${madeDir}`);
        console.log(`backup: ${r.path} (${r.sizeBytes} bytes in ${r.durationMs} ms, ${r.heads.length} accounts, sha256 ${r.sha256})`);
        console.log(`backup: manifest ${r.path}.json; everything committed before ${r.startedAt} is in it`);
      } catch (e) {
        console.error(`credits backup: ${(e as Error).message}`);
        process.exit(e instanceof BackupError ? 2 : 1);
      }
    });
}
