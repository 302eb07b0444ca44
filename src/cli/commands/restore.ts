/** `credits restore FILE`: puts a checked backup in place of the embedded database, then reports verify. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { restoreBackup } from '../../core/backups/restore-backup.js';
import { LedgerKey } from '../../core/ledger/hash.js';
import { BackupError } from '../../db/backup.js';
import { commandConfig as config } from '../open-existing.js';
import { verifyProgress } from '../progress.js';

export function restoreCommand(program: Command): void {
  program
    .command('restore')
    .description(
      'restore a backup into DATA_DIR (the service must be stopped): checks its SHA-256, then verifies the ledger before putting it in place',
    )
    .argument('<file>', 'the backup (its manifest FILE.json beside it)')
    .option('--force', 'put it in place even when verify finds violations')
    .action(async (file: string, o: { force?: boolean }) => {
      const c = config();
      if (c.databaseUrl) {
        console.error(
          'credits restore: this restores the embedded SQLite database; restore PostgreSQL with pg_restore or from a base backup (docs/operations.md)',
        );
        process.exit(2);
      }
      const started = Date.now();
      try {
        const r = await restoreBackup(resolve(file), c.sqlitePath, {
          ledgerKey: new LedgerKey(c.ledgerKey),
          force: o.force ?? false,
          onProgress: verifyProgress(started),
        });
        const v = r.verify;
        console.log(`restore: ${file} matches its manifest (sha256 ${r.manifest.sha256}, taken ${r.manifest.startedAt})`);
        console.log(
          `verify: ${v.accounts} accounts, ${v.transactions} ledger rows, ${v.activeHolds} active holds, ${v.usageRows} usage rows, ` +
            `${v.rollupRows} rollups checked; ledger heads match the manifest: ${v.violations.some((x) => x.startsWith('backup:')) ? 'no' : 'yes'}`,
        );
        for (const x of v.violations) console.error(`  violation: ${x}`);
        if (v.ok) console.log('verify: clean');
        if (!r.restored) {
          console.error(`restore: not restored: ${v.violations.length} violation(s) (--force restores it anyway)`);
          process.exit(1);
        }
        if (r.previous) console.log(`restore: the database it replaced is kept as ${r.previous}`);
        console.log(
          `restore: ${c.sqlitePath} restored in ${Date.now() - started} ms${v.ok ? '' : ' despite the violations above (--force)'}`,
        );
        if (!v.ok) process.exitCode = 1;
      } catch (e) {
        console.error(`credits restore: ${(e as Error).message}`);
        process.exit(e instanceof BackupError ? 2 : 1);
      }
    });
}
