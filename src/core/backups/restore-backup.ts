/**
 * Restores a backup of the embedded database into place: refuses while anything has the
 * database open (a running service), checks the backup against its manifest's SHA-256,
 * copies it beside the database, checks the copy (SQLite's quick_check, the ledger heads
 * of the manifest, and the whole ledger through verifyLedger), and only then moves it into
 * place. The database it replaces is kept beside it as `<name>.before-restore-<time>`.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { sql } from 'kysely';
import { BackupError, type BackupManifest, checkBackup, sqliteInUse } from '../../db/backup.js';
import { openDatabase } from '../../db/open.js';
import type { LedgerKey } from '../ledger/hash.js';
import { type VerifyOptions, type VerifyReport, verifyLedger } from '../ledger/verify.js';

export interface RestoreResult {
  manifest: BackupManifest;
  /** verifyLedger of the restored database, plus the checks against the manifest. */
  verify: VerifyReport;
  /** Where the database that was replaced was moved, if there was one. */
  previous: string | null;
  restored: boolean;
}

async function fsyncPath(path: string) {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function inUseError(sqlitePath: string) {
  return new BackupError(
    `${sqlitePath} is in use (a running service, or another credits command, has it open): stop the service before restoring`,
  );
}

/**
 * `force` puts the backup in place even when verify finds violations (the newest backup
 * may be the best there is); a checksum mismatch is never forced.
 */
export async function restoreBackup(
  file: string,
  sqlitePath: string,
  opts: { ledgerKey: LedgerKey; force?: boolean; now?: () => number; onProgress?: VerifyOptions['onProgress'] },
): Promise<RestoreResult> {
  const now = opts.now ?? Date.now;
  if (sqliteInUse(sqlitePath)) throw inUseError(sqlitePath);
  const manifest = await checkBackup(file);
  await mkdir(dirname(sqlitePath), { recursive: true });
  const staging = `${sqlitePath}.restoring`;
  for (const suffix of ['', '-wal', '-shm', '-journal']) await rm(staging + suffix, { force: true });
  await copyFile(file, staging);
  await fsyncPath(staging);

  const database = await openDatabase({ sqlitePath: staging });
  let verify: VerifyReport;
  try {
    const check = await sql<{ quick_check: string }>`pragma quick_check`.execute(database.db);
    const problems = check.rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
    verify = await verifyLedger(database.db, opts.ledgerKey, { onProgress: opts.onProgress });
    const heads = await database.db.selectFrom('user_credits').select(['user_id', 'seq', 'last_hash']).orderBy('user_id').execute();
    const have = new Map(heads.map((h) => [h.user_id, h]));
    for (const h of manifest.heads) {
      const got = have.get(h.accountId);
      if (!got) problems.push(`account ${h.accountId} of the manifest is missing`);
      else if (got.seq !== h.seq || got.last_hash !== h.lastHash)
        problems.push(`account ${h.accountId}: head ${got.seq}/${got.last_hash}, manifest ${h.seq}/${h.lastHash}`);
    }
    if (heads.length !== manifest.heads.length) problems.push(`${heads.length} accounts, the manifest lists ${manifest.heads.length}`);
    if (problems.length > 0) verify = { ...verify, ok: false, violations: [...problems.map((p) => `backup: ${p}`), ...verify.violations] };
  } finally {
    await database.close();
  }
  if (!verify.ok && !opts.force) {
    for (const suffix of ['', '-wal', '-shm']) await rm(staging + suffix, { force: true });
    return { manifest, verify, previous: null, restored: false };
  }

  // Checked again right before the swap: a service may have started meanwhile.
  if (sqliteInUse(sqlitePath)) {
    for (const suffix of ['', '-wal', '-shm']) await rm(staging + suffix, { force: true });
    throw inUseError(sqlitePath);
  }
  let previous: string | null = null;
  if (existsSync(sqlitePath)) {
    previous = join(dirname(sqlitePath), `${basename(sqlitePath)}.before-restore-${new Date(now()).toISOString().replace(/[:.]/g, '-')}`);
    // A -wal left by a crash holds committed data of the old database: it moves with it.
    for (const suffix of ['-wal', '-shm']) {
      if (existsSync(sqlitePath + suffix)) await rename(sqlitePath + suffix, previous + suffix);
    }
    await rename(sqlitePath, previous);
  }
  await rename(staging, sqlitePath);
  await fsyncPath(dirname(sqlitePath));
  return { manifest, verify, previous, restored: true };
}
