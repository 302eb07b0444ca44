/** The doctor's checks of the file system: the data directory and the backups. */
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config.js';
import { type Finding, ok } from './finding.js';

/** `dir`, or its nearest ancestor that exists. */
function existingAncestor(dir: string): string {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

/** Null when `dir` can be written (or, when it does not exist yet, created); else why not. Leaves nothing behind. */
function writable(dir: string): string | null {
  const probeDir = existingAncestor(dir);
  try {
    if (!statSync(probeDir).isDirectory()) return `${probeDir} is not a directory`;
    const probe = join(probeDir, `.doctor-${randomBytes(6).toString('hex')}`);
    writeFileSync(probe, 'ok');
    rmSync(probe);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The findings about the file system: the data directory and the backups. */
export function checkFiles(config: Config): Finding[] {
  const out: Finding[] = [];
  const dataProblem = writable(config.dataDir);
  out.push(
    dataProblem
      ? {
          check: 'data_dir',
          severity: 'blocking',
          message: `DATA_DIR ${config.dataDir} is not writable: ${dataProblem}`,
          fix: 'create it and give it to the user the service runs as (chown), or point DATA_DIR elsewhere',
        }
      : ok('data_dir', `DATA_DIR ${config.dataDir} is writable${existsSync(config.dataDir) ? '' : ' (it will be created)'}`),
  );
  const sqlite = !config.databaseUrl;
  if (!config.backups) {
    if (sqlite) {
      out.push({
        check: 'backups',
        severity: 'warning',
        message: `no scheduled backups: ${config.sqlitePath} is the only copy of every balance`,
        fix: 'set BACKUP_DIR (on another disk), BACKUP_INTERVAL_MINUTES and BACKUP_KEEP, and copy BACKUP_DIR off the machine (docs/operations.md)',
      });
    }
    return out;
  }
  if (!sqlite) {
    out.push({
      check: 'backups',
      severity: 'warning',
      message: 'BACKUP_DIR is set but the database is PostgreSQL: it is ignored',
      fix: 'unset BACKUP_DIR and back PostgreSQL up with pg_dump or base backups (docs/operations.md)',
    });
    return out;
  }
  const backupProblem = writable(config.backups.dir);
  if (backupProblem) {
    out.push({
      check: 'backups',
      severity: 'blocking',
      message: `BACKUP_DIR ${config.backups.dir} is not writable: ${backupProblem}`,
      fix: 'create it and give it to the user the service runs as, or point BACKUP_DIR elsewhere',
    });
    return out;
  }
  const sameDisk = (() => {
    try {
      return statSync(existingAncestor(config.backups.dir)).dev === statSync(existingAncestor(config.dataDir)).dev;
    } catch {
      return false;
    }
  })();
  if (sameDisk) {
    out.push({
      check: 'backups',
      severity: 'warning',
      message: `BACKUP_DIR ${config.backups.dir} is on the same file system as the database: one disk failure takes both`,
      fix: 'mount BACKUP_DIR from another disk, or copy it off the machine after each backup (docs/operations.md)',
    });
  } else {
    out.push(
      ok('backups', `backups every ${config.backups.intervalMs / 60_000} min to ${config.backups.dir}, ${config.backups.keep} kept`),
    );
  }
  return out;
}
