/**
 * Two OS processes, each with its own writer, race two members of one organisation past
 * their monthly limits and past the balance, on SQLite (one file) and Postgres (one schema):
 * 400 debits of 1 credit, taken in turn by member A (limit 150, who asks for 200) and member B
 * (limit 250), against 300 credits. Neither limit nor the balance is ever exceeded, member_month_usage
 * says what the usage rows say, and the ledger verifies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/index.js';
import { monthOf } from '../../src/core/ledger/decide-members.js';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { activeDialects, createTestDb, type TestDb, testLedgerKey } from '../support/db.js';
import { makeUser } from '../support/factories.js';
import { makeOrg } from '../support/orgs.js';
import { type Summary, startWorker } from '../support/race.js';

// One process alone can take at most 200, so both must spend to reach the 300 the balance allows.
const PER_PROCESS = 200;
const COST_MC = 1000;

describe.each(await activeDialects())('two processes racing two members of one organisation (%s)', (dialect) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(dialect);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it('exceeds neither member’s limit nor the balance', async () => {
    const core = createCore(db.database, { ledgerKey: testLedgerKey });
    const a = await makeUser(core);
    const b = await makeUser(core);
    const q = db.database.db;
    const org = await makeOrg(q, [
      { userId: a.id, limitMc: 150 * COST_MC },
      { userId: b.id, limitMc: 250 * COST_MC },
    ]);
    await core.ledger.grant(org, 300 * COST_MC, 'purchase');
    await core.writer.close();

    const env = (tag: string) => ({
      WORKER_USER: org,
      WORKER_MEMBERS: `${a.id},${b.id}`,
      WORKER_COUNT: String(PER_PROCESS),
      WORKER_AMOUNT_MC: String(COST_MC),
      WORKER_TAG: tag,
      WORKER_MAX_BATCH: '20',
      // In waves, so both processes are spending while the other is.
      WORKER_WAVE: '20',
      WORKER_WAVE_MS: '5',
    });
    const workers = [startWorker(db, env('A')), startWorker(db, env('B'))];
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.child.stdin.write('go\n');
    const [x, y] = (await Promise.all(workers.map((w) => w.done))) as [Summary, Summary];
    expect([...x.failed, ...y.failed]).toEqual([]);
    expect(x.ok + y.ok + x.refused + y.refused + x.limited + y.limited).toBe(2 * PER_PROCESS);
    expect(x.ok + y.ok).toBe(300);
    expect(x.ok).toBeGreaterThan(0);
    expect(y.ok).toBeGreaterThan(0);

    const spent = await q
      .selectFrom('usage_tracking')
      .select(['member_id'])
      .select((eb) => eb.fn.sum<number>('charged_mc').as('mc'))
      .where('user_id', '=', org)
      .groupBy('member_id')
      .execute();
    const by = new Map(spent.map((s) => [s.member_id, Number(s.mc)]));
    expect(by.get(a.id) ?? 0).toBeLessThanOrEqual(150 * COST_MC);
    expect(by.get(b.id) ?? 0).toBeLessThanOrEqual(250 * COST_MC);
    expect((by.get(a.id) ?? 0) + (by.get(b.id) ?? 0)).toBe(300 * COST_MC);
    const months = await q.selectFrom('member_month_usage').selectAll().where('account_id', '=', org).execute();
    for (const m of months) {
      expect(m.month).toBe(monthOf(Date.now()));
      expect(Number(m.used_mc)).toBe(by.get(m.user_id));
    }
    const acct = await q.selectFrom('user_credits').selectAll().where('user_id', '=', org).executeTakeFirstOrThrow();
    expect(acct).toMatchObject({ balance_mc: 0, reserved_mc: 0 });
    expect((await verifyLedger(q, testLedgerKey)).violations).toEqual([]);
  });
});
