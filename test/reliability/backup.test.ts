/**
 * Backups under load, and a crash in the middle of one. The service (SQLite, FULL) takes a
 * scheduled backup every second while 32 clients spend credits, each request with its own
 * Idempotency-Key and the time its 201 came back logged. Once a few backups are complete,
 * the service is killed with -9 while the next one is being written. Then:
 *
 * - the backup cut off is left as a `.partial` file: never listed as a backup, and
 *   `credits restore` refuses it;
 * - every backup that is listed is whole: it matches its manifest's size and SHA-256, its
 *   ledger heads are the manifest's, SQLite's quick_check passes and verifyLedger is clean;
 * - the newest one, restored with `credits restore` into a new data directory, verifies
 *   clean, and holds every operation acknowledged before that backup started, exactly once.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { checkBackup, listBackups } from '../../src/db/backup.js';
import { openDatabase } from '../../src/db/open.js';
import type { DB } from '../../src/db/schema.js';
import { createTestDb, type TestDb, usageRowsPerKey, testLedgerKey, TEST_LEDGER_KEY } from '../support/db.js';
import { databaseEnv, kill9, type ServerProcess, spawnServer } from '../support/spawn-server.js';
import { until } from '../support/poll.js';
import { nodeArgs } from '../support/entries.js';

const run = promisify(execFile);
const CLIENTS = 32;
const MIN_COMPLETE = 4;
const ATTEMPTS = 5;

interface Client {
  token: string;
  userId: string;
  next: number;
  /** key -> when its 201 was received (ms, this machine's clock). */
  acked: Map<string, number>;
}

function credits(env: Record<string, string>, ...args: string[]) {
  return run(process.execPath, [...nodeArgs('src/cli/main.ts'), ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', DATABASE_URL: '', ...env },
    timeout: 120_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

describe('scheduled backups under load, and kill -9 in the middle of one (sqlite)', () => {
  let db: TestDb;
  const root = mkdtempSync(join(tmpdir(), 'credits-backup-crash-'));
  const backupDir = join(root, 'backups');
  beforeAll(async () => {
    db = await createTestDb('sqlite', { synchronous: 'FULL' });
  });
  afterAll(async () => {
    await db?.dispose();
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps only whole backups, and the newest restores with everything acknowledged before it began', { timeout: 600_000 }, async () => {
    const env = {
      ...databaseEnv(db),
      SIGNUP_BONUS_CREDITS: '1000000',
      BACKUP_DIR: backupDir,
      BACKUP_INTERVAL_MINUTES: String(1 / 60),
      BACKUP_KEEP: '1000',
    };
    let server: ServerProcess = await spawnServer(env);
    const clients: Client[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const r = await fetch(`${server.url}/api/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `backup-${i}@example.com`, password: 'kiwi-lantern-Orbit-73', name: `Client ${i}` }),
      });
      expect(r.status).toBe(201);
      const { token, user } = (await r.json()) as { token: string; user: { id: string } };
      clients.push({ token, userId: user.id, next: 0, acked: new Map() });
    }

    let dead = false;
    const statuses = new Map<number, number>();
    const lane = async (c: Client, url: string) => {
      while (!dead) {
        const key = `k-${c.next}`;
        try {
          const r = await fetch(`${url}/api/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${c.token}`, 'idempotency-key': key },
            body: JSON.stringify({ to: '+15550001111', body: `message ${key}` }),
            signal: AbortSignal.timeout(20_000),
          });
          await r.arrayBuffer();
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          if (r.status === 201) {
            c.acked.set(key, Date.now());
            c.next++;
          } else await sleep(10); // a client's pause before it retries: a gap on purpose
        } catch {
          // No answer: the server died. The key is retried by the next run of this lane.
          return;
        }
      }
    };

    // Kill the service while a backup is being written. Each attempt lets at least
    // MIN_COMPLETE backups complete first; if the backup seen under way finishes before the
    // kill lands, the service is started again and the next one is tried.
    let partial: string | null = null;
    let attempts = 0;
    while (!partial && attempts < ATTEMPTS) {
      attempts++;
      dead = false;
      const lanes = clients.map((c) => lane(c, server.url));
      const completeBefore = (await listBackups(backupDir)).length;
      const deadline = Date.now() + 120_000;
      await until(
        `${MIN_COMPLETE} more backups`,
        async () => (await listBackups(backupDir)).length >= completeBefore + MIN_COMPLETE,
        120_000,
        50,
      );
      let seen: string | undefined;
      while (!seen) {
        if (Date.now() > deadline) throw new Error('never saw a backup under way');
        seen = readdirSync(backupDir).find((f) => f.endsWith('.db.partial'));
      }
      await kill9(server.child);
      dead = true;
      await Promise.all(lanes);
      if (existsSync(join(backupDir, seen))) partial = seen;
      else server = await spawnServer(env);
    }
    expect(partial, `a kill landed in the middle of a backup within ${ATTEMPTS} attempts`).not.toBeNull();
    const partialPath = join(backupDir, partial as string);

    const complete = await listBackups(backupDir);
    console.info(
      `[backup crash] ${attempts} attempt(s); ${complete.length} complete backups, sizes ${complete.map((b) => b.manifest.sizeBytes).join(', ')} bytes, ` +
        `durations ${complete.map((b) => b.manifest.durationMs).join(', ')} ms; killed while writing ${partial}; ` +
        `${clients.reduce((n, c) => n + c.acked.size, 0)} requests acknowledged; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    expect(complete.length).toBeGreaterThanOrEqual(MIN_COMPLETE);
    expect(complete.map((b) => b.path)).not.toContain(partialPath);
    expect(complete.map((b) => `${b.path}.partial`)).not.toContain(partialPath);

    // Every backup taken for complete is whole and consistent.
    for (const b of complete) {
      const m = await checkBackup(b.path);
      // Read-only: opening it as the service does would switch the file to WAL mode.
      const copy = {
        db: new Kysely<DB>({ dialect: new SqliteDialect({ database: new SQLite(b.path, { readonly: true }) }) }),
        close: () => Promise.resolve(),
      };
      copy.close = () => copy.db.destroy();
      try {
        const check = await sql<{ quick_check: string }>`pragma quick_check`.execute(copy.db);
        expect(check.rows.map((r) => r.quick_check)).toEqual(['ok']);
        const heads = await copy.db
          .selectFrom('user_credits')
          .select(['user_id as accountId', 'seq', 'last_hash as lastHash'])
          .orderBy('user_id')
          .execute();
        expect(heads).toEqual(m.heads);
        expect((await verifyLedger(copy.db, testLedgerKey)).violations, b.path).toEqual([]);
      } finally {
        await copy.close();
      }
    }

    // The one cut off is refused.
    const refused = await credits({ DATA_DIR: join(root, 'from-partial'), LEDGER_KEY: TEST_LEDGER_KEY }, 'restore', partialPath);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/no manifest/);

    // The newest complete backup, restored into a new data directory.
    const newest = complete[complete.length - 1] as (typeof complete)[number];
    const target = join(root, 'restored');
    const restored = await credits({ DATA_DIR: target, LEDGER_KEY: TEST_LEDGER_KEY }, 'restore', newest.path);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/verify: clean/);
    const r = await openDatabase({ sqlitePath: join(target, 'credits.db') });
    try {
      expect((await verifyLedger(r.db, testLedgerKey)).violations).toEqual([]);
      const began = Date.parse(newest.manifest.startedAt);
      let before = 0;
      for (const c of clients) {
        const counts = await usageRowsPerKey(r.db, c.userId);
        expect(
          [...counts.entries()].filter(([, n]) => n !== 1),
          'a key applied twice',
        ).toEqual([]);
        const ackedBefore = [...c.acked].filter(([, at]) => at < began).map(([k]) => k);
        before += ackedBefore.length;
        expect(
          ackedBefore.filter((k) => counts.get(k) !== 1),
          `client ${c.userId}: acknowledged before the backup began, not in it once`,
        ).toEqual([]);
        // Nothing in it that was never sent.
        expect([...counts.keys()].filter((k) => Number(k.slice(2)) > c.next)).toEqual([]);
      }
      expect(before).toBeGreaterThan(CLIENTS);
    } finally {
      await r.close();
    }
  });
});
