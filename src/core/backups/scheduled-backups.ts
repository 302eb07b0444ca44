/**
 * Scheduled backups of the embedded database (BACKUP_DIR, BACKUP_INTERVAL_MINUTES,
 * BACKUP_KEEP): one backup per run, the oldest beyond `keep` deleted, each logged with
 * its size and duration. A failure is kept for /health/ready and /metrics and raised as an
 * alert to the admins: at the first failure, then at most once an hour while they go on.
 */
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { type BackupResult, backupFileName, backupSqlite, pruneBackups } from '../../db/backup.js';
import type { DB } from '../../db/schema.js';
import { alertAdmins } from '../alerts/alert-admins.js';
import { emitEvent } from '../events/emit-event.js';

export interface BackupStatus {
  enabled: true;
  dir: string;
  intervalSeconds: number;
  keep: number;
  running: boolean;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lastError: string | null;
  /** Duration and size of the last backup that completed. */
  lastDurationMs: number | null;
  lastSizeBytes: number | null;
  lastFile: string | null;
  /** Failures since the last success. */
  consecutiveFailures: number;
}

export interface BackupLog {
  info(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

export interface ScheduledBackupsOptions {
  sqlitePath: string;
  dir: string;
  intervalMs: number;
  keep: number;
  log: BackupLog;
  now?: () => number;
  /** Told of each outcome (metrics). */
  onResult?: (r: { ok: boolean; at: number; durationMs: number; sizeBytes: number | null }) => void;
}

const REALERT_MS = 3_600_000;

export class ScheduledBackups {
  private readonly now: () => number;
  private running = false;
  private lastSuccessAt: number | null = null;
  private lastFailureAt: number | null = null;
  private lastError: string | null = null;
  private lastDurationMs: number | null = null;
  private lastSizeBytes: number | null = null;
  private lastFile: string | null = null;
  private consecutiveFailures = 0;
  private lastAlertAt: number | null = null;
  /** Backups taken and failed since start. */
  readonly totals = { succeeded: 0, failed: 0 };

  constructor(
    private readonly db: Kysely<DB>,
    private readonly opts: ScheduledBackupsOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** Takes one backup and prunes the old ones; records and alerts a failure, then rethrows it. */
  async runOnce(): Promise<BackupResult> {
    this.running = true;
    const started = this.now();
    try {
      const result = await backupSqlite(this.opts.sqlitePath, join(this.opts.dir, backupFileName(new Date(started))), this.now);
      const removed = await pruneBackups(this.opts.dir, this.opts.keep, this.now);
      this.lastSuccessAt = this.now();
      this.lastDurationMs = result.durationMs;
      this.lastSizeBytes = result.sizeBytes;
      this.lastFile = result.path;
      this.consecutiveFailures = 0;
      this.totals.succeeded++;
      this.opts.onResult?.({ ok: true, at: this.lastSuccessAt, durationMs: result.durationMs, sizeBytes: result.sizeBytes });
      this.opts.log.info(
        {
          backup: result.path,
          sizeBytes: result.sizeBytes,
          durationMs: result.durationMs,
          accounts: result.heads.length,
          pruned: removed.length,
        },
        'backup taken',
      );
      return result;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const at = this.now();
      this.lastFailureAt = at;
      this.lastError = message;
      this.consecutiveFailures++;
      this.totals.failed++;
      this.opts.onResult?.({ ok: false, at, durationMs: at - started, sizeBytes: null });
      this.opts.log.error(
        { err: { message }, dir: this.opts.dir, durationMs: at - started, consecutiveFailures: this.consecutiveFailures },
        'backup failed',
      );
      await this.alert(message, at);
      throw e;
    } finally {
      this.running = false;
    }
  }

  private async alert(message: string, at: number) {
    if (this.consecutiveFailures > 1 && this.lastAlertAt !== null && at - this.lastAlertAt < REALERT_MS) return;
    this.lastAlertAt = at;
    try {
      const text =
        `A scheduled backup of the credits database to ${this.opts.dir} failed: ${message}` +
        (this.lastSuccessAt
          ? ` The last good backup was taken at ${new Date(this.lastSuccessAt).toISOString()}.`
          : ' No backup has succeeded since the service started.');
      const details = { dir: this.opts.dir, error: message, consecutiveFailures: this.consecutiveFailures };
      await this.db.transaction().execute(async (trx) => {
        await alertAdmins(trx, 'backup_failed', text, at, details);
        // The alert webhook had these alerts before it became an events endpoint.
        await emitEvent(
          trx,
          {
            type: 'backup.failed',
            accountId: null,
            data: {
              message: text,
              ...details,
              lastSuccessAt: this.lastSuccessAt === null ? null : new Date(this.lastSuccessAt).toISOString(),
            },
          },
          at,
        );
      });
    } catch (err) {
      this.opts.log.error({ err: { message: (err as Error).message } }, 'could not raise the backup alert');
    }
  }

  status(): BackupStatus {
    const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
    return {
      enabled: true,
      dir: this.opts.dir,
      intervalSeconds: this.opts.intervalMs / 1000,
      keep: this.opts.keep,
      running: this.running,
      lastSuccessAt: iso(this.lastSuccessAt),
      lastFailureAt: iso(this.lastFailureAt),
      lastError: this.lastError,
      lastDurationMs: this.lastDurationMs,
      lastSizeBytes: this.lastSizeBytes,
      lastFile: this.lastFile,
      consecutiveFailures: this.consecutiveFailures,
    };
  }
}
