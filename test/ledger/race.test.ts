/**
 * Two OS processes, each with its own writer, send 500 concurrent debits each against one
 * account that holds exactly enough for 600: exactly 600 pass, the balance ends at 0 and
 * the ledger verifies, on SQLite (one file, two processes) and on Postgres (one schema).
 * Then the same with the account's credits in grants that expire while the debits run and
 * both processes' grant sweepers running: no credit spent twice, no grant expired twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/index.js';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { activeDialects, createTestDb, type TestDb, testLedgerKey } from '../support/db.js';
import { makeUser } from '../support/factories.js';
import { until } from '../support/poll.js';
import { type Summary, startWorker } from '../support/race.js';

const PER_PROCESS = 500;
const AFFORDABLE = 600;
const COST_MC = 1000;

describe.each(await activeDialects())('two processes racing on one account (%s)', (dialect) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(dialect);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  // Default batches (a few big ones per process) and small batches (many interleaved ones).
  it.each([
    ['default batches', undefined],
    ['batches of 20', '20'],
  ])(`lets exactly ${AFFORDABLE} of ${2 * PER_PROCESS} debits through (%s)`, async (_name, maxBatch) => {
    const core = createCore(db.database, { ledgerKey: testLedgerKey });
    const u = await makeUser(core);
    await core.ledger.grant(u.id, AFFORDABLE * COST_MC, 'purchase');
    await core.writer.close();

    const env = (tag: string) => ({
      WORKER_USER: u.id,
      WORKER_COUNT: String(PER_PROCESS),
      WORKER_AMOUNT_MC: String(COST_MC),
      WORKER_TAG: tag,
      ...(maxBatch ? { WORKER_MAX_BATCH: maxBatch } : {}),
    });
    const workers = [startWorker(db, env('A')), startWorker(db, env('B'))];
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.child.stdin.write('go\n');
    const [a, b] = (await Promise.all(workers.map((w) => w.done))) as [Summary, Summary];

    expect([...a.failed, ...b.failed]).toEqual([]);
    expect(a.ok + b.ok).toBe(AFFORDABLE);
    expect(a.refused + b.refused).toBe(2 * PER_PROCESS - AFFORDABLE);

    const acct = await db.database.db.selectFrom('user_credits').selectAll().where('user_id', '=', u.id).executeTakeFirstOrThrow();
    expect(acct).toMatchObject({ balance_mc: 0, reserved_mc: 0, available_mc: 0, lifetime_used_mc: AFFORDABLE * COST_MC });

    // The ledger rows say the same, and both processes really wrote to the one account.
    const rows = await db.database.db
      .selectFrom('credit_transactions')
      .select(['description', 'amount_mc', 'balance_after_mc'])
      .where('user_id', '=', u.id)
      .where('type', '=', 'usage')
      .orderBy('seq')
      .execute();
    expect(rows).toHaveLength(AFFORDABLE);
    expect(rows.filter((r) => r.description === 'race A')).toHaveLength(a.ok);
    expect(rows.filter((r) => r.description === 'race B')).toHaveLength(b.ok);
    expect(a.ok, JSON.stringify({ a, b })).toBeGreaterThan(0);
    expect(b.ok, JSON.stringify({ a, b })).toBeGreaterThan(0);
    expect(rows.at(-1)?.balance_after_mc).toBe(0);

    const report = await verifyLedger(db.database.db, testLedgerKey);
    expect(report.violations).toEqual([]);
  });
});

describe.each(await activeDialects())('two processes spending grants near expiry while their sweepers run (%s)', (dialect) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(dialect);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it('spends no credit twice and expires none twice; every credit is spent or expired once, and verify is clean', async () => {
    const core = createCore(db.database, { ledgerKey: testLedgerKey });
    const u = await makeUser(core);
    const env = (tag: string) => ({
      WORKER_USER: u.id,
      WORKER_COUNT: String(PER_PROCESS),
      WORKER_AMOUNT_MC: String(COST_MC),
      WORKER_TAG: tag,
      WORKER_SWEEP: '1',
      // Spread over about half a second, so grants expire while the debits run.
      WORKER_WAVE: '10',
      WORKER_WAVE_MS: '10',
    });
    const workers = [startWorker(db, env('A')), startWorker(db, env('B'))];
    await Promise.all(workers.map((w) => w.ready));
    // 600 credits in four grants: three expire while the debits run, one never. The waves
    // bound the spending to 20 credits per 10 ms (two processes, 10 debits each), so by the
    // first grant's expiry (80 ms) at most 180 of its 300 credits can be gone: some of it is
    // always left for a sweeper to expire while the debits still run (50 waves, 490 ms or
    // more). With equal grants of 150, a fast run could spend each before it was due, and
    // nothing expired mid-run.
    const expiring: number[] = [];
    for (const [ms, credits] of [
      [80, 300],
      [160, 100],
      [300, 50],
    ] as const) {
      expiring.push(Date.now() + ms);
      await core.ledger.grant(u.id, credits * COST_MC, 'bonus', { grant: { expiresAt: expiring.at(-1) } });
    }
    await core.ledger.grant(u.id, 150 * COST_MC, 'purchase');
    for (const w of workers) w.child.stdin.write('go\n');
    const [a, b] = (await Promise.all(workers.map((w) => w.done))) as [Summary, Summary];
    expect([...a.failed, ...b.failed]).toEqual([]);
    // Whatever the sweepers left due is expired now.
    await until('every grant due', () => Date.now() > (expiring.at(-1) as number));
    await core.ledger.expireGrants();
    await core.writer.close();

    const q = db.database.db;
    const grants = await q.selectFrom('grants').selectAll().where('user_id', '=', u.id).orderBy('id').execute();
    const expiries = await q
      .selectFrom('credit_transactions')
      .select(['reference_id', 'amount_mc'])
      .where('user_id', '=', u.id)
      .where('type', '=', 'expiry')
      .execute();
    const usage = await q
      .selectFrom('credit_transactions')
      .select('amount_mc')
      .where('user_id', '=', u.id)
      .where('type', '=', 'usage')
      .execute();
    // Each grant expired at most once, by one sweeper, and each expiring one did.
    const byGrant = new Map<string, number>();
    for (const e of expiries) byGrant.set(e.reference_id as string, (byGrant.get(e.reference_id as string) ?? 0) + 1);
    expect([...byGrant.values()].every((n) => n === 1)).toBe(true);
    expect(grants.filter((g) => g.expires_at !== null).every((g) => g.expired_at !== null)).toBe(true);
    expect(grants.find((g) => g.expires_at === null)?.expired_at).toBeNull();
    // Every credit was spent or expired, once: 600 credits, 1000 debits asked for.
    const expiredMc = expiries.reduce((s, e) => s - e.amount_mc, 0);
    expect(usage.length).toBe(a.ok + b.ok);
    expect((a.ok + b.ok) * COST_MC + expiredMc).toBe(600 * COST_MC);
    expect(grants.reduce((s, g) => s + g.expired_mc, 0)).toBe(expiredMc);
    expect(grants.every((g) => g.remaining_mc === 0 && g.reserved_mc === 0)).toBe(true);
    const acct = await q.selectFrom('user_credits').selectAll().where('user_id', '=', u.id).executeTakeFirstOrThrow();
    expect(acct.balance_mc).toBe(0);
    // The sweepers of the processes expired grants while the debits ran; both processes spent.
    // On SQLite the second can be starved of the write lock for the whole run (about 1 run in
    // 5 here): SQLite's busy handler polls with growing sleeps and is not fair, so a process
    // whose batches keep the lock busy (a commit with synchronous=FULL holds it for its fsync)
    // can finish before the other gets in, which then finds the credits spent or expired and
    // is refused throughout. Money stays right (every check above holds); only the race this
    // test means to set up does not happen, so on SQLite it is not required. PostgreSQL's row
    // locks queue fairly, and there both processes must spend.
    expect(a.expired + b.expired, JSON.stringify({ a, b })).toBeGreaterThan(0);
    expect(a.ok + b.ok, JSON.stringify({ a, b })).toBeGreaterThan(0);
    if (dialect === 'postgres') {
      expect(a.ok, JSON.stringify({ a, b })).toBeGreaterThan(0);
      expect(b.ok, JSON.stringify({ a, b })).toBeGreaterThan(0);
    }

    const report = await verifyLedger(q, testLedgerKey);
    expect(report.violations).toEqual([]);
  });
});
