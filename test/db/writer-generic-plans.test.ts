/**
 * The ledger writer's PostgreSQL connections plan its prepared statements once, generically
 * (`plan_cache_mode = force_generic_plan`, db/open.ts's writerConfig), and no generic plan reads
 * worse than the custom plan it replaces. The statements are the ones the writer really
 * prepares: a run of batches of every kind of operation (grants, debits with and without usage,
 * claw-backs, holds, captures, releases, uncharged usage, a reversal, an expiry, a compound
 * operation, an organisation member's spend, several accounts in one batch) is recorded as
 * node-postgres sends it; each named statement is then prepared again on another connection
 * and explained with the values it was sent with, once with a custom plan and once with the
 * generic plan (`explain execute` under `plan_cache_mode`: PostgreSQL 15 has no
 * `explain (generic_plan)`). Sequential scans are off, as in test/support/query-plans.ts (the
 * test tables are tiny; the question is whether an index can serve the plan). PostgreSQL only.
 */
import { createRequire } from 'node:module';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore, postgresAvailable, type TestCore } from '../support/db.js';
import { makeUser, testUsage } from '../support/factories.js';
import { makeOrg } from '../support/orgs.js';

// node-postgres's own conversion of a parameter to its text (arrays to array literals).
const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils') as { prepareValue: (v: unknown) => unknown };

/** The tables of the writer's hot path: a sequential scan on one of them in a generic plan fails the test. */
const TABLES = ['credit_transactions', 'usage_tracking', 'grants', 'accounts', 'user_credits', 'reservations', 'grant_movements'];

/** Every `Seq Scan on t` and every index named in a plan. */
function scans(plan: string): { seq: string[]; indexes: string[] } {
  const seq = [...plan.matchAll(/Seq Scan on (\w+)/g)].map((m) => m[1] as string);
  const indexes = [...plan.matchAll(/(?:Index Scan|Index Only Scan)(?: Backward)? using (\w+)|Bitmap Index Scan on (\w+)/g)].map(
    (m) => (m[1] ?? m[2]) as string,
  );
  return { seq: [...new Set(seq)].sort(), indexes: [...new Set(indexes)].sort() };
}

describe.runIf(await postgresAvailable())("the ledger writer's generic plans", () => {
  let core: TestCore;
  /** Each prepared statement's text and the values it was last sent with. */
  const sent = new Map<string, unknown[]>();
  const original = pg.Client.prototype.query;

  beforeAll(async () => {
    core = await createTestCore('postgres');
    // biome-ignore lint/suspicious/noExplicitAny: pg's overloaded signature
    pg.Client.prototype.query = function (this: pg.Client, config: any, values?: any, callback?: any) {
      if (config && typeof config === 'object' && config.name && typeof config.text === 'string')
        sent.set(config.text, config.values ?? []);
      // biome-ignore lint/suspicious/noExplicitAny: as above
      return (original as any).call(this, config, values, callback);
    } as typeof original;
    try {
      await runEveryKind(core);
    } finally {
      pg.Client.prototype.query = original;
    }
  }, 60_000);
  afterAll(async () => {
    pg.Client.prototype.query = original;
    await core?.dispose();
  });

  it("is the writer's connections' setting, and theirs only", async () => {
    const writer = core.database.pgWriter?.pool;
    const other = core.database.pgPool;
    expect((await writer?.query('show plan_cache_mode'))?.rows[0]).toEqual({ plan_cache_mode: 'force_generic_plan' });
    expect((await other?.query('show plan_cache_mode'))?.rows[0]).toEqual({ plan_cache_mode: 'auto' });
  });

  it('reads by the same indexes as the custom plans, with no sequential scan', async () => {
    const texts = [...sent.keys()];
    // The reads and locks of load-batch.ts and load-members.ts, the write of write-postgres.ts, its shapes.
    expect(texts.length).toBeGreaterThan(8);
    const client = await core.database.pgPool?.connect();
    if (!client) throw new Error('no pool');
    const failures: string[] = [];
    let withParameters = 0;
    try {
      for (const [i, text] of texts.entries()) {
        const literals = (sent.get(text) ?? []).map((v) => {
          const p = prepareValue(v);
          return p === null || p === undefined ? 'null' : client.escapeLiteral(String(p));
        });
        const explain = async (mode: string) => {
          await client.query(`set plan_cache_mode = ${mode}`);
          const r = await client.query(`explain execute generic_plan_${i}(${literals.join(', ')})`);
          return (r.rows as { 'QUERY PLAN': string }[]).map((row) => row['QUERY PLAN']).join('\n');
        };
        await client.query('begin');
        try {
          await client.query('set local enable_seqscan = off');
          await client.query(`prepare generic_plan_${i} as ${text}`);
          const custom = await explain('force_custom_plan');
          const generic = await explain('force_generic_plan');
          // A generic plan's conditions show its parameters as $n; a custom plan's, the values.
          if (/\$\d/.test(generic)) withParameters++;
          if (process.env.WRITER_PLANS_LOG)
            console.log(`${text.slice(0, 60)}\n  custom ${JSON.stringify(scans(custom))}\n  generic ${JSON.stringify(scans(generic))}`);
          const c = scans(custom);
          const g = scans(generic);
          const missing = c.indexes.filter((x) => !g.indexes.includes(x));
          const seq = g.seq.filter((t) => TABLES.includes(t) || !c.seq.includes(t));
          if (missing.length > 0 || seq.length > 0) {
            failures.push(`${text}\n-- custom:\n${custom}\n-- generic:\n${generic}`);
          }
        } finally {
          await client.query('rollback');
          await client.query(`deallocate generic_plan_${i}`);
          await client.query('reset plan_cache_mode');
        }
      }
    } finally {
      client.release();
    }
    expect(failures).toEqual([]);
    expect(withParameters).toBeGreaterThan(0);
  });
});

/** Batches of every kind of operation the writer has, on a personal account and an organisation. */
async function runEveryKind(core: TestCore): Promise<void> {
  const w = core.writer;
  const a = await makeUser(core, { credits: 1_000 });
  const b = await makeUser(core, { credits: 1_000 });
  const owner = await makeUser(core);
  const member = await makeUser(core);
  const org = await makeOrg(core.database.db, [
    { userId: owner.id, role: 'owner' },
    { userId: member.id, limitMc: 500_000 },
  ]);
  const later = Date.now() + 3_600_000;
  const soon = Date.now() + 300;
  // Several accounts and kinds in one batch, and each kind alone.
  const credit = (userId: string, amountMc: number, expiresAt: number | null = null) =>
    w.submit({
      kind: 'credit',
      userId,
      amountMc,
      type: 'purchase',
      grant: { expiresAt, valueCents: 100 },
      refType: 'payment',
      refId: `pay_${Math.random()}`,
    });
  await Promise.all([credit(a.id, 100_000), credit(b.id, 100_000, later), credit(org, 1_000_000)]);
  const expiring = await credit(a.id, 5_000, soon);
  const usage = await w.submit({ kind: 'debit', type: 'usage', userId: a.id, amountMc: 100, usage: testUsage(100) });
  await Promise.all([
    w.submit({ kind: 'debit', type: 'usage', userId: a.id, amountMc: 100, usage: testUsage(100) }),
    w.submit({ kind: 'debit', type: 'usage', userId: b.id, amountMc: 100, usage: testUsage(100) }),
    w.submit({ kind: 'debit', type: 'adjustment', userId: a.id, amountMc: 50 }),
    w.submit({ kind: 'debit', type: 'usage', userId: org, amountMc: 100, usage: testUsage(100), memberId: member.id }),
  ]);
  for (let i = 0; i < 3; i++) {
    await Promise.all(
      Array.from({ length: 8 }, (_, j) =>
        w.submit({
          kind: 'debit',
          type: 'usage',
          userId: j % 2 ? a.id : org,
          amountMc: 10,
          usage: testUsage(10),
          ...(j % 2 ? {} : { memberId: member.id }),
        }),
      ),
    );
  }
  await w.submit({ kind: 'clawback', userId: b.id, amountMc: 500, type: 'refund' });
  await w.submit({ kind: 'reserve', userId: a.id, reservationId: 'hold_a1', amountMc: 1_000, expiresAt: later });
  await w.submit({ kind: 'reserve', userId: org, reservationId: 'hold_o1', amountMc: 1_000, expiresAt: later, memberId: member.id });
  await w.submit({ kind: 'reserve', userId: b.id, reservationId: 'hold_b1', amountMc: 1_000, expiresAt: later });
  await Promise.all([
    w.submit({ kind: 'capture', reservationId: 'hold_a1', userId: a.id, amountMc: 400, usage: testUsage(400) }),
    w.submit({ kind: 'capture', reservationId: 'hold_o1', userId: org, amountMc: 400, usage: testUsage(400) }),
    w.submit({ kind: 'release', reservationId: 'hold_b1', userId: b.id, reason: 'released' }),
  ]);
  await w.submit({ kind: 'record_usage', userId: a.id, usage: testUsage(0) });
  if (usage.usageId) await w.submit({ kind: 'reverse_usage', userId: a.id, usageId: usage.usageId });
  if (expiring.grantId) {
    await new Promise((r) => setTimeout(r, 400));
    await w.submit({ kind: 'expire_grant', userId: a.id, grantId: expiring.grantId });
  }
  await w.submit({
    kind: 'compound',
    userId: org,
    memberId: member.id,
    steps: [
      { kind: 'debit', type: 'usage', userId: org, amountMc: 10, usage: testUsage(10) },
      { kind: 'debit', type: 'adjustment', userId: org, amountMc: 10 },
    ],
  });
  // The same keyed debit twice: the second is the idempotent replay's read.
  for (let i = 0; i < 2; i++) {
    await w.submit({
      kind: 'debit',
      type: 'usage',
      userId: a.id,
      amountMc: 10,
      usage: testUsage(10),
      idem: { scope: a.id, key: 'k1', fingerprint: 'f1' },
    });
  }
}
