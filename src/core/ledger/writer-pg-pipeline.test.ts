/**
 * The ledger writer on its pipelined PostgreSQL connections (db/pg-pipeline.ts): a batch is
 * two round trips (`begin` with the lock, the write with `commit`), and its failures surface
 * as they do with four: a write that fails rolls the batch back and its operations are
 * retried one by one, so only the bad one fails; a connection lost with the write and
 * commit unanswered is an unknown outcome (every operation of the batch fails with the
 * connection error, none is re-run). Balance changes announced with NOTIFY (ChangeAnnouncer)
 * go on the batch's connection right after its commit, unawaited, and are heard for exactly
 * the batches that committed. PostgreSQL only.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore, postgresAvailable, TEST_PG_URL, type TestCore } from '../../../test/support/db.js';
import { makeUser, testUsage } from '../../../test/support/factories.js';
import { makeOrg } from '../../../test/support/orgs.js';
import { isConnectionError } from '../../db/errors.js';
import { recordQueries } from '../../../test/support/pg-queries.js';
import { until } from '../../../test/support/poll.js';
import type { BalanceChange } from './types.js';
import { verifyLedger } from './verify.js';

describe.runIf(await postgresAvailable())('the ledger writer on pipelined PostgreSQL connections', () => {
  let core: TestCore;
  beforeAll(async () => {
    core = await createTestCore('postgres');
  });
  afterAll(async () => {
    await core?.dispose();
  });

  const debit = (userId: string, amountMc: number) =>
    core.writer.submit({ kind: 'debit', type: 'adjustment', userId, amountMc }).then(
      (applied) => ({ ok: true as const, balanceMc: applied.balanceMc }),
      (e: unknown) => ({ ok: false as const, code: (e as { code?: string }).code, connection: isConnectionError(e) }),
    );

  it('sends a batch of debits in two round trips: begin with the lock, the write with commit', async () => {
    const user = await makeUser(core, { credits: 5 });
    const rec = recordQueries();
    let outcomes: Awaited<ReturnType<typeof debit>>[];
    try {
      outcomes = await Promise.all([100, 200, 300].map((mc) => debit(user.id, mc)));
    } finally {
      rec.stop();
    }
    expect(outcomes).toEqual([
      { ok: true, balanceMc: 4_900 },
      { ok: true, balanceMc: 4_700 },
      { ok: true, balanceMc: 4_400 },
    ]);
    expect(rec.sent.map((s) => s.text.split(' ')[0])).toEqual(['begin', 'select', 'with', 'commit']);
    // Round trips: queries sent while none was unanswered on their connection.
    expect(rec.sent.filter((s) => !s.withEarlier).length).toBe(2);
  });

  it("reads an organisation member's month with the lock, not in a round trip of its own", async () => {
    const owner = await makeUser(core);
    const m = await makeUser(core);
    const org = await makeOrg(core.database.db, [
      { userId: owner.id, role: 'owner' },
      { userId: m.id, limitMc: 5_000 },
    ]);
    await core.ledger.grant(org, 100_000, 'purchase');
    const spend = (mc: number) =>
      core.writer.submit({ kind: 'debit', type: 'usage', userId: org, amountMc: mc, usage: testUsage(mc), memberId: m.id }).then(
        () => 'ok',
        (e: unknown) => (e as { code?: string }).code,
      );
    const rec = recordQueries();
    let outcomes: (string | undefined)[];
    try {
      outcomes = await Promise.all([1_000, 1_000].map(spend));
    } finally {
      rec.stop();
    }
    expect(outcomes).toEqual(['ok', 'ok']);
    // begin, the lock, the members' read sent right behind it; the write with commit.
    expect(rec.sent.map((s) => s.text.split(' ')[0])).toEqual(['begin', 'select', 'select', 'with', 'commit']);
    expect(rec.sent[1]?.text).toContain('user_credits');
    expect(rec.sent[2]?.text).toContain('"m"."account_id"');
    expect(rec.sent.filter((s) => !s.withEarlier).length).toBe(2);
    // The next batch sees this one's spending (read after the lock, in a statement of its own).
    expect(await spend(3_000)).toBe('ok');
    expect(await spend(1)).toBe('member_limit_exceeded');
  });

  it('rolls back a batch whose write fails, then applies its debits one by one: only the bad one fails', async () => {
    const user = await makeUser(core, { credits: 5 });
    await sql`alter table credit_transactions add constraint pipeline_test_no_777 check (amount_mc <> -777)`.execute(core.database.db);
    try {
      const outcomes = await Promise.all([100, 200, 777, 300].map((mc) => debit(user.id, mc)));
      expect(outcomes).toEqual([
        { ok: true, balanceMc: 4_900 },
        { ok: true, balanceMc: 4_700 },
        { ok: false, code: '23514', connection: false },
        { ok: true, balanceMc: 4_400 },
      ]);
    } finally {
      await sql`alter table credit_transactions drop constraint pipeline_test_no_777`.execute(core.database.db);
    }
    expect((await core.ledger.balance(user.id)).balanceMc).toBe(4_400);
    expect((await verifyLedger(core.database.db, core.ledgerKey)).violations).toEqual([]);
  });

  it('fails every debit of a batch whose connection dies under its write and commit, re-running none', async () => {
    const user = await makeUser(core, { credits: 5 });
    // The write of a debit of 555 mc ends its own connection (as if the server went away while
    // the write and commit were unanswered); the transaction is lost, which the writer cannot know.
    await sql
      .raw(`create function pipeline_test_kill() returns trigger language plpgsql as $$
          begin
            if new.amount_mc = -555 then perform pg_terminate_backend(pg_backend_pid()); perform pg_sleep(5); end if;
            return new;
          end $$;
          create trigger pipeline_test_kill before insert on credit_transactions for each row execute function pipeline_test_kill()`)
      .execute(core.database.db);
    const before = core.writer.stats.ops;
    try {
      const outcomes = await Promise.all([100, 555, 300].map((mc) => debit(user.id, mc)));
      expect(outcomes.map((o) => o.ok || o.connection)).toEqual([true, true, true]);
      expect(outcomes.every((o) => !o.ok)).toBe(true);
    } finally {
      await sql.raw('drop trigger pipeline_test_kill on credit_transactions; drop function pipeline_test_kill()').execute(core.database.db);
    }
    expect(core.writer.stats.ops).toBe(before);
    expect((await core.ledger.balance(user.id)).balanceMc).toBe(5_000);
    // The writer goes on, on a new connection.
    expect(await debit(user.id, 100)).toEqual({ ok: true, balanceMc: 4_900 });
    expect((await verifyLedger(core.database.db, core.ledgerKey)).violations).toEqual([]);
  });

  it('announces each committed batch with NOTIFY on its connection after its commit, and nothing of a batch rolled back', async () => {
    // A channel of this test's own: other suites may share the database.
    const channel = `writer_test_${randomUUID().replace(/-/g, '')}`;
    const heard: BalanceChange[][] = [];
    const listener = new pg.Client({ connectionString: TEST_PG_URL });
    await listener.connect();
    listener.on('notification', (m) => heard.push(JSON.parse(m.payload ?? '[]') as BalanceChange[]));
    await listener.query(`listen ${channel}`);
    // Two changes a payload, so a batch of three accounts sends two.
    const failures: unknown[] = [];
    core.writer.announceWith({
      channel,
      payloads: (changes) => [changes.slice(0, 2), changes.slice(2)].filter((c) => c.length > 0).map((c) => JSON.stringify(c)),
      failed: (e) => failures.push(e),
    });
    /** The payloads heard once `n` have arrived (and a query on the listener answered after them). */
    const heardBy = async (n: number) => {
      await until(`${n} notifications`, () => heard.length >= n);
      await listener.query('select 1');
      return heard.splice(0);
    };
    try {
      const users = [await makeUser(core, { credits: 5 }), await makeUser(core, { credits: 5 }), await makeUser(core, { credits: 5 })];
      // Funding the users was announced too, a grant each.
      expect((await heardBy(3)).map((p) => p.map((c) => c.balanceMc))).toEqual([[5_000], [5_000], [5_000]]);
      const rec = recordQueries();
      try {
        await Promise.all(users.map((u, i) => debit(u.id, 100 * (i + 1))));
      } finally {
        rec.stop();
      }
      // Two round trips, then the NOTIFY, sent once the commit answered (nothing waits for its answer).
      expect(rec.sent.map((s) => s.text.split(' ')[0])).toEqual(['begin', 'select', 'with', 'commit', 'select']);
      expect(rec.sent[4]?.text).toContain('pg_notify');
      expect(rec.sent.filter((s) => !s.withEarlier).length).toBe(3);
      const batch = await heardBy(2);
      expect(batch.map((p) => p.length)).toEqual([2, 1]);
      expect(
        batch
          .flat()
          .map((c) => [c.userId, c.balanceMc])
          .sort(),
      ).toEqual(users.map((u, i) => [u.id, 5_000 - 100 * (i + 1)]).sort());

      // A batch whose write fails rolls back and sends no NOTIFY: only the one-by-one retries are heard.
      const user = users[0] as { id: string };
      await sql`alter table credit_transactions add constraint pipeline_test_no_778 check (amount_mc <> -778)`.execute(core.database.db);
      try {
        const outcomes = await Promise.all([100, 778, 200].map((mc) => debit(user.id, mc)));
        expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
      } finally {
        await sql`alter table credit_transactions drop constraint pipeline_test_no_778`.execute(core.database.db);
      }
      expect((await heardBy(2)).map((p) => p.map((c) => c.balanceMc))).toEqual([[4_800], [4_600]]);
      expect(failures).toEqual([]);
    } finally {
      core.writer.announceWith(undefined);
      await listener.end();
    }
  });
});
