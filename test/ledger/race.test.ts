/**
 * Two OS processes, each with its own writer, send 500 concurrent debits each against one
 * account that holds exactly enough for 600: exactly 600 pass, the balance ends at 0 and
 * the ledger verifies — on SQLite (one file, two processes) and on Postgres.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/index.js';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { activeDialects, createTestDb, type TestDb } from '../support/db.js';
import { makeUser } from '../support/factories.js';

function runWorker(db: TestDb, env: Record<string, string>): Promise<{ lines: Record<string, unknown>[]; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/ledger-worker.ts'], {
      env: {
        ...process.env,
        ...(db.dialect === 'postgres' ? { WORKER_PG_URL: db.url as string, WORKER_PG_SCHEMA: db.pgSchema as string } : { WORKER_SQLITE: db.sqlitePath as string }),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const lines = out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      if (code !== 0 && code !== null) reject(new Error(`worker exited ${code}: ${err}`));
      else resolve({ lines, code });
    });
  });
}

describe.each(await activeDialects())('two processes racing on one account (%s)', (dialect) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(dialect);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it('lets exactly 600 of 1,000 debits through', async () => {
    const core = createCore(db.database);
    const u = await makeUser(core, { credits: 600 });
    await core.writer.close();
    const [a, b] = await Promise.all([
      runWorker(db, { WORKER_USER: u.id, WORKER_COUNT: '500', WORKER_AMOUNT_MC: '1000' }),
      runWorker(db, { WORKER_USER: u.id, WORKER_COUNT: '500', WORKER_AMOUNT_MC: '1000' }),
    ]);
    const sa = a.lines.at(-1) as { ok: number; refused: number };
    const sb = b.lines.at(-1) as { ok: number; refused: number };
    expect(sa.ok + sb.ok).toBe(600);
    expect(sa.refused + sb.refused).toBe(400);
    // Both processes really competed.
    expect(sa.ok).toBeGreaterThan(0);
    expect(sb.ok).toBeGreaterThan(0);
    const acct = await db.database.db.selectFrom('user_credits').selectAll().where('user_id', '=', u.id).executeTakeFirstOrThrow();
    expect(acct).toMatchObject({ balance_mc: 0, reserved_mc: 0, available_mc: 0, lifetime_used_mc: 600_000 });
    const report = await verifyLedger(db.database.db);
    expect(report.violations).toEqual([]);
    expect(report.transactions).toBe(601);
  });
});
