/**
 * kill -9 a process while it applies idempotent debits, restart it retrying every key,
 * several times: every operation acknowledged before a crash is present exactly once,
 * nothing is applied twice, and the ledger verifies — SQLite (synchronous=FULL) and Postgres.
 */
import { spawn } from 'node:child_process';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/index.js';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { activeDialects, createTestDb, type TestDb } from '../support/db.js';
import { makeUser } from '../support/factories.js';

const KEYS = 3000;
const CYCLES = 5;

function workerEnv(db: TestDb, userId: string) {
  return {
    ...process.env,
    ...(db.dialect === 'postgres' ? { WORKER_PG_URL: db.url as string, WORKER_PG_SCHEMA: db.pgSchema as string } : { WORKER_SQLITE: db.sqlitePath as string, WORKER_SYNC: 'FULL' }),
    WORKER_USER: userId,
    WORKER_COUNT: String(KEYS),
    WORKER_AMOUNT_MC: '7',
    WORKER_CONCURRENCY: '64',
    WORKER_KEY_PREFIX: 'op',
  };
}

/** Runs the worker; when `killAfter` acks have been seen, SIGKILLs it. Returns the acked keys. */
function run(db: TestDb, userId: string, killAfter: number | null): Promise<{ acked: string[]; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/ledger-worker.ts'], { env: workerEnv(db, userId), stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: string[] = [];
    let buf = '';
    let killed = false;
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i = buf.indexOf('\n');
      while (i >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const o = JSON.parse(line) as { ack?: string };
        if (o.ack) acked.push(o.ack);
        if (killAfter !== null && !killed && acked.length >= killAfter) {
          killed = true;
          child.kill('SIGKILL');
        }
        i = buf.indexOf('\n');
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' || code === 0) resolve({ acked, killed });
      else reject(new Error(`worker exited ${code}: ${err}`));
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
    const core = createCore(db.database);
    const u = await makeUser(core, { credits: 1_000_000 });
    await core.writer.close();
    const everAcked = new Set<string>();
    let kills = 0;
    for (let c = 0; c < CYCLES; c++) {
      // Each restart retries every key from the start; earlier ones replay.
      const r = await run(db, u.id, 200 + c * 400);
      for (const k of r.acked) everAcked.add(k);
      if (r.killed) kills++;
    }
    const final = await run(db, u.id, null);
    for (const k of final.acked) everAcked.add(k);
    expect(kills).toBeGreaterThanOrEqual(3);
    const rows = await db.database.db
      .selectFrom('credit_transactions')
      .select(['idempotency_key', sql<number>`count(*)`.as('n')])
      .where('user_id', '=', u.id)
      .where('type', '=', 'usage')
      .groupBy('idempotency_key')
      .execute();
    const counts = new Map(rows.map((r) => [r.idempotency_key, Number(r.n)]));
    for (const k of everAcked) expect(counts.get(k), k).toBe(1);
    expect(rows.every((r) => Number(r.n) === 1)).toBe(true);
    expect(rows).toHaveLength(KEYS);
    const acct = await db.database.db.selectFrom('user_credits').selectAll().where('user_id', '=', u.id).executeTakeFirstOrThrow();
    expect(acct.balance_mc).toBe(1_000_000_000 - KEYS * 7);
    const report = await verifyLedger(db.database.db);
    expect(report.violations).toEqual([]);
  });
});
