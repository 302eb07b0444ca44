/**
 * kill -9 a process while it applies idempotent debits, then restart it retrying every
 * key, several times. After each crash, before the restart can retry anything, every
 * operation acknowledged so far is in the ledger exactly once and the ledger verifies;
 * at the end every key is applied exactly once. SQLite (synchronous=FULL) and Postgres.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/index.js';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { activeDialects, createTestDb, type TestDb, usageRowsPerKey, testLedgerKey } from '../support/db.js';
import { makeUser } from '../support/factories.js';
import { nodeArgs } from '../support/entries.js';

const KEYS = 3000;
const CYCLES = 5;
const AMOUNT_MC = 7;
const START_MC = 1_000_000;

/**
 * Runs the worker. With `killAfterNew`, SIGKILLs it as soon as it has acknowledged that
 * many keys not acknowledged by an earlier run (so each cycle makes progress and dies with
 * batches in flight). Resolves with the keys it acknowledged.
 */
function runWorker(
  db: TestDb,
  userId: string,
  seen: ReadonlySet<string>,
  killAfterNew: number | null,
): Promise<{ acked: string[]; killed: boolean; done: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs('test/support/crash-worker.ts'), {
      env: {
        ...process.env,
        ...(db.dialect === 'postgres'
          ? { WORKER_PG_URL: db.url as string, WORKER_PG_SCHEMA: db.pgSchema as string }
          : { WORKER_SQLITE: db.sqlitePath as string, WORKER_SYNC: 'FULL' }),
        WORKER_USER: userId,
        WORKER_KEYS: String(KEYS),
        WORKER_AMOUNT_MC: String(AMOUNT_MC),
        WORKER_CONCURRENCY: '64',
        WORKER_KEY_PREFIX: 'op',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: string[] = [];
    let fresh = 0;
    let killed = false;
    let done = false;
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'done') done = true;
      if (!line.startsWith('ack ')) return;
      const key = line.slice(4);
      acked.push(key);
      if (!seen.has(key)) fresh++;
      if (killAfterNew !== null && !killed && fresh >= killAfterNew) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if ((killed && signal === 'SIGKILL') || (code === 0 && done)) resolve({ acked, killed, done });
      else reject(new Error(`worker exited ${code ?? signal}: ${err}`));
    });
  });
}

describe.each(await activeDialects())('kill -9 while applying debits (%s)', (dialect) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(dialect, { synchronous: 'FULL' });
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it(`keeps every acknowledged operation exactly once over ${CYCLES} crashes`, async () => {
    const core = createCore(db.database, { ledgerKey: testLedgerKey });
    const u = await makeUser(core);
    await core.ledger.grant(u.id, START_MC, 'purchase');
    await core.writer.close();

    const acked = new Set<string>();
    let kills = 0;
    for (let c = 0; c < CYCLES; c++) {
      // Kill after some fresh acknowledgements, but early enough that keys remain: under load
      // a kill lands late and the worker runs on meanwhile.
      const remaining = KEYS - acked.size;
      if (remaining < 200) break;
      const run = await runWorker(db, u.id, acked, Math.min(60 + c * 50, Math.floor(remaining / 4)));
      expect(run.killed, `cycle ${c} ended before the kill`).toBe(true);
      kills++;
      for (const k of run.acked) acked.add(k);

      // Before anything retries: what was acknowledged survived the crash, once each.
      const counts = await usageRowsPerKey(db.database.db, u.id);
      const lost = [...acked].filter((k) => counts.get(k) !== 1);
      expect(lost, `cycle ${c}: acknowledged but not in the ledger exactly once`).toEqual([]);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      const report = await verifyLedger(db.database.db, testLedgerKey);
      expect(report.violations, `cycle ${c}`).toEqual([]);
    }
    // Every cycle was killed before it finished (checked above); under heavy load the last
    // cycles may have acknowledged every key before dying, which changes nothing here.
    expect(acked.size).toBeGreaterThan(0);
    expect(kills).toBeGreaterThanOrEqual(3);

    // The last restart runs to the end: every key applied exactly once, earlier ones replayed.
    const last = await runWorker(db, u.id, acked, null);
    expect(last.done).toBe(true);
    expect(last.acked).toHaveLength(KEYS);
    const counts = await usageRowsPerKey(db.database.db, u.id);
    expect(counts.size).toBe(KEYS);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    const idem = await db.database.db
      .selectFrom('idempotency_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('id', 'like', `${u.id}:op-%`)
      .executeTakeFirstOrThrow();
    expect(Number(idem.n)).toBe(KEYS);
    const acct = await db.database.db.selectFrom('user_credits').selectAll().where('user_id', '=', u.id).executeTakeFirstOrThrow();
    expect(acct.balance_mc).toBe(START_MC - KEYS * AMOUNT_MC);
    const report = await verifyLedger(db.database.db, testLedgerKey);
    expect(report.violations).toEqual([]);
  });
});
