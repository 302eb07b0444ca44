/**
 * Backups of the embedded database, as an operator uses them:
 *
 * - `credits backup --to FILE` while the service runs and takes requests: a whole copy and
 *   a manifest whose checksum and ledger heads match it;
 * - `credits restore FILE` refuses while the service runs, refuses a file that does not
 *   match its manifest or has none, verifies before it puts a backup in place (a tampered
 *   one is refused, `--force` takes it anyway), keeps the database it replaces, and
 *   restores into an empty data directory;
 * - scheduled backups (BACKUP_DIR, BACKUP_INTERVAL_MINUTES, BACKUP_KEEP): taken, pruned to
 *   BACKUP_KEEP, shown in /health/ready and /metrics; a failure is an alert to every admin
 *   (in the app, and a backup.failed event through the alert webhook), shown in both too, and not repeated at
 *   every failure. On PostgreSQL BACKUP_DIR is ignored.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupManifest } from '../../src/db/backup.js';
import { until } from '../support/poll.js';
import { listBackups } from '../../src/db/backup.js';
import { TEST_LEDGER_KEY, postgresAvailable } from '../support/db.js';
import { having, startTestServer, type TestServer } from '../support/server.js';
import { type ServerProcess, spawnServer } from '../support/spawn-server.js';
import { nodeArgs } from '../support/entries.js';

const run = promisify(execFile);
const cli = nodeArgs('src/cli/main.ts');

function credits(env: Record<string, string>, ...args: string[]) {
  return run(process.execPath, [...cli, ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', LEDGER_KEY: TEST_LEDGER_KEY, ...env },
    timeout: 60_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

function manifestOf(file: string): BackupManifest {
  return JSON.parse(readFileSync(`${file}.json`, 'utf8')) as BackupManifest;
}

function sha256(file: string) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

describe('credits backup and credits restore', () => {
  const root = mkdtempSync(join(tmpdir(), 'credits-backup-'));
  const dataDir = join(root, 'data');
  const env = { DATA_DIR: dataDir, DATABASE_URL: '' };
  let server: ServerProcess;
  let token = '';
  let userId = '';

  const spend = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const r = await fetch(`${server.url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ to: 'x', body: 'backup me' }),
      });
      expect(r.status).toBe(201);
    }
  };
  const usageRows = (path: string) => {
    const db = new Database(path, { readonly: true });
    try {
      return (db.prepare('select count(*) as n from usage_tracking').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    server = await spawnServer({ ...env, SQLITE_SYNCHRONOUS: 'FULL', SIGNUP_BONUS_CREDITS: '100' });
    const reg = await fetch(`${server.url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'backup@example.com', password: 'kiwi-lantern-Orbit-73', name: 'Backup' }),
    });
    ({
      token,
      user: { id: userId },
    } = (await reg.json()) as { token: string; user: { id: string } });
  });
  afterAll(() => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('backs up the live database under load, and restore refuses while the service runs', async () => {
    await spend(5);
    // Requests keep coming while the backup runs.
    let stop = false;
    const load = (async () => {
      while (!stop) await spend(1);
    })();
    const file = join(root, 'live.db');
    const b = await credits(env, 'backup', '--to', file);
    stop = true;
    await load;
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/backup: .*live\.db \(\d+ bytes in \d+ ms, 1 accounts, sha256 [0-9a-f]{64}\)/);
    expect(b.stdout).not.toMatch(/created the directory/);
    // A --to in a directory that does not exist: made, and said (a mistyped path is seen).
    const nested = await credits(env, 'backup', '--to', join(root, 'made', 'here.db'));
    expect(nested.code, nested.stderr).toBe(0);
    expect(nested.stdout).toMatch(/backup: created the directory .*made\n/);
    const m = manifestOf(file);
    expect(m.sha256).toBe(sha256(file));
    expect(m.sizeBytes).toBe(statSync(file).size);
    expect(m.migrations).toContain('001-initial');
    // The heads are the copy's own: the user's chain as it is in the file.
    const copy = new Database(file, { readonly: true });
    const head = copy.prepare('select seq, last_hash from user_credits where user_id = ?').get(userId) as {
      seq: number;
      last_hash: string;
    };
    copy.close();
    expect(m.heads).toEqual([{ accountId: userId, seq: head.seq, lastHash: head.last_hash }]);
    expect(head.seq).toBeGreaterThanOrEqual(6);
    expect(readdirSync(root).filter((f) => f.includes('.partial'))).toEqual([]);

    // No destination: refused with the reason.
    const nowhere = await credits(env, 'backup');
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toMatch(/--to FILE, or set BACKUP_DIR/);

    const before = usageRows(join(dataDir, 'credits.db'));
    const refused = await credits(env, 'restore', file);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/in use .*stop the service/);
    expect(usageRows(join(dataDir, 'credits.db'))).toBe(before);
    expect(readdirSync(dataDir).filter((f) => f.includes('restor'))).toEqual([]);
  });

  it('refuses a backup that does not match its manifest or has none, and a tampered ledger unless forced', async () => {
    const file = join(root, 'live.db');
    const target = { DATA_DIR: join(root, 'elsewhere'), DATABASE_URL: '' };

    const bitrot = join(root, 'bitrot.db');
    const bytes = readFileSync(file);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
    writeFileSync(bitrot, bytes);
    writeFileSync(`${bitrot}.json`, JSON.stringify({ ...manifestOf(file), file: 'bitrot.db' }));
    const r1 = await credits(target, 'restore', bitrot);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/does not match its checksum/);

    const bare = join(root, 'bare.db');
    copyFileSync(file, bare);
    const r2 = await credits(target, 'restore', bare);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/no manifest .*not a complete backup/);
    expect(existsSync(join(target.DATA_DIR, 'credits.db'))).toBe(false);

    // A ledger row changed and the manifest made to match: the checksum passes, verify does not.
    const forged = join(root, 'forged.db');
    copyFileSync(file, forged);
    const db = new Database(forged);
    db.prepare(
      "update credit_transactions set amount_mc = amount_mc - 1 where type = 'usage' and seq = (select max(seq) from credit_transactions)",
    ).run();
    db.close();
    writeFileSync(
      `${forged}.json`,
      JSON.stringify({ ...manifestOf(file), file: 'forged.db', sha256: sha256(forged), sizeBytes: statSync(forged).size }),
    );
    const r3 = await credits(target, 'restore', forged);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toMatch(/violation: .*hash does not match/);
    expect(r3.stderr).toMatch(/not restored/);
    expect(existsSync(join(target.DATA_DIR, 'credits.db'))).toBe(false);
    const r4 = await credits(target, 'restore', '--force', forged);
    expect(r4.code).toBe(1);
    expect(r4.stdout).toMatch(/restored in \d+ ms despite the violations/);
    expect(existsSync(join(target.DATA_DIR, 'credits.db'))).toBe(true);
  });

  it('restores over the stopped service, keeps what it replaced, and the service starts on it', async () => {
    const file = join(root, 'live.db');
    const inBackup = usageRows(file);
    await spend(3);
    const exited = new Promise((r) => server.child.once('exit', r));
    server.child.kill('SIGTERM');
    await exited;
    const live = join(dataDir, 'credits.db');
    const current = usageRows(live);
    // The load went on during the backup, and three more since.
    expect(current).toBeGreaterThanOrEqual(inBackup + 3);

    const r = await credits(env, 'restore', file);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/matches its manifest/);
    expect(r.stdout).toMatch(/ledger heads match the manifest: yes/);
    expect(r.stdout).toMatch(/verify: clean/);
    const kept = /kept as (\S+)/.exec(r.stdout)?.[1] as string;
    expect(usageRows(live)).toBe(inBackup);
    expect(usageRows(kept)).toBe(current);
    expect((await credits(env, 'verify')).stdout).toMatch(/verify: clean/);

    // Into an empty data directory, and the service runs on the result.
    const fresh = { DATA_DIR: join(root, 'fresh'), DATABASE_URL: '' };
    expect((await credits(fresh, 'restore', file)).code).toBe(0);
    server = await spawnServer({ ...fresh, SQLITE_SYNCHRONOUS: 'FULL' });
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'backup@example.com', password: 'kiwi-lantern-Orbit-73' }),
    });
    expect(login.status).toBe(200);
    const { token: t2 } = (await login.json()) as { token: string };
    const bal = await fetch(`${server.url}/api/credits/balance`, { headers: { authorization: `Bearer ${t2}` } });
    expect(((await bal.json()) as { balance: number }).balance).toBeCloseTo(100 - inBackup * 0.1, 3);
    server.child.kill('SIGTERM');
  });
});

describe('scheduled backups', () => {
  let s: TestServer;
  let hook: Server;
  const hits: string[] = [];
  const root = mkdtempSync(join(tmpdir(), 'credits-sched-'));
  afterAll(async () => {
    await s?.stop();
    hook?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('are taken on schedule, pruned to BACKUP_KEEP, and shown in /health/ready and /metrics', async () => {
    const dir = join(root, 'ok');
    s = await startTestServer('sqlite', { BACKUP_DIR: dir, BACKUP_INTERVAL_MINUTES: '0.0167', BACKUP_KEEP: '2' });
    const { api } = await s.register();
    await s.running.core.ledger.grant((await api.get('/api/auth/me')).body.user.id, 5000, 'purchase');
    const ready = await until(
      'three backups',
      async () => {
        const r = await s.api.get('/health/ready');
        return r.body.backups &&
          'lastSuccessAt' in r.body.backups &&
          r.body.backups.lastSuccessAt &&
          s.running.services.backups &&
          s.running.services.backups.totals.succeeded >= 3
          ? r
          : null;
      },
      30_000,
    );
    expect(ready.status).toBe(200);
    expect(ready.body.backups).toMatchObject({ enabled: true, dir, keep: 2, lastFailureAt: null, consecutiveFailures: 0 });
    expect(having(ready.body.backups, 'lastSizeBytes').lastSizeBytes).toBeGreaterThan(0);
    expect(having(ready.body.backups, 'lastDurationMs').lastDurationMs).toBeGreaterThanOrEqual(0);
    const kept = await listBackups(dir);
    expect(kept.length).toBeLessThanOrEqual(2);
    expect(readdirSync(dir).filter((f) => f.endsWith('.db')).length).toBeLessThanOrEqual(3);
    for (const b of kept) expect(sha256(b.path)).toBe(b.manifest.sha256);
    const metrics = (await s.api.get('/metrics')).text;
    expect(metrics).toMatch(/credits_backup_last_success_timestamp_seconds \d+/);
    expect(metrics).toMatch(/credits_backup_last_duration_seconds [\d.e-]+/);
    expect(metrics).toMatch(/credits_backup_last_size_bytes \d+/);
    expect(metrics).toMatch(/credits_backups_total\{outcome="success"\} \d+/);
    await s.stop();
    s = undefined as unknown as TestServer;
  });

  it('a failure is an alert to every admin, in the app and through the alert webhook, and shows in /health/ready and /metrics', async () => {
    hook = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        hits.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    // A directory that cannot be made: its parent is a file (chmod would not stop root).
    writeFileSync(join(root, 'not-a-dir'), 'x');
    const dir = join(root, 'not-a-dir', 'backups');
    s = await startTestServer('sqlite', {
      BACKUP_DIR: dir,
      // Every 6 s: the timer starts before the server listens, and the admins below must
      // exist by the first failure, even on a busy machine.
      BACKUP_INTERVAL_MINUTES: '0.1',
      ALERTS_WEBHOOK_URL: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
      ALERTS_POLL_MS: '50',
    });
    const admin = await s.userWithRole('admin');
    const boss = await s.userWithRole('super_admin');
    const user = await s.register();
    await until('two failures', () => (s.running.services.backups?.totals.failed ?? 0) >= 2, 30_000);
    const ready = await s.api.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.backups).toMatchObject({ enabled: true, lastSuccessAt: null });
    expect(having(ready.body.backups, 'consecutiveFailures').consecutiveFailures).toBeGreaterThanOrEqual(2);
    expect(having(ready.body.backups, 'lastError').lastError).toMatch(/ENOTDIR|not a directory/);
    expect(Date.parse(having(ready.body.backups, 'lastFailureAt').lastFailureAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
    const metrics = (await s.api.get('/metrics')).text;
    expect(metrics).toMatch(/credits_backup_last_failure_timestamp_seconds \d+/);
    expect(metrics).toMatch(/credits_backups_total\{outcome="failure"\} [2-9]/);

    for (const who of [admin, boss]) {
      const alerts = (await who.api.get('/api/credits/alerts')).body.items.filter((a) => a.type === 'backup_failed');
      // Once, not at every failure.
      expect(alerts).toHaveLength(1);
      expect(alerts[0]?.message).toMatch(/backup of the credits database .*failed/);
    }
    expect((await user.api.get('/api/credits/alerts')).body.items).toEqual([]);
    // The alert webhook is an events endpoint: one backup.failed event, not one per admin.
    await until('the webhook delivery', () => hits.filter((h) => h.includes('"type":"backup.failed"')).length >= 1, 30_000);
    expect(hits.filter((h) => h.includes('"type":"backup.failed"'))).toHaveLength(1);
  });
});

describe.runIf(await postgresAvailable())('scheduled backups on PostgreSQL', () => {
  it('are off: BACKUP_DIR is for the embedded database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'credits-pgb-'));
    const s = await startTestServer('postgres', { BACKUP_DIR: dir, BACKUP_INTERVAL_MINUTES: '0.0167' });
    try {
      expect((await s.api.get('/health/ready')).body.backups).toEqual({ enabled: false });
      expect(s.running.services.backups).toBeUndefined();
    } finally {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
