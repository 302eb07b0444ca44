/**
 * Migration 026: `grants.open` says whether a grant has credits left, and the index of an
 * account's open grants (`grants_open`) is by it, so a debit's update of `remaining_mc` no
 * longer rewrites that index (on PostgreSQL: the update is HOT). The database keeps the flag
 * true to `remaining_mc` whoever writes the grant (emptied, refilled, inserted without it);
 * `credits verify` flags a flag gone wrong.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { GRANT_CHANGED, GRANT_SPENT } from '../../src/core/ledger/write-sqlite.js';
import { SQLITE_OPEN_TRIGGERS } from '../../src/db/migrations/026-grants-open-flag.js';
import { activeDialects, testLedgerKey, useTestCore } from '../support/db.js';
import { makeUser, testUsage } from '../support/factories.js';

describe.each(await activeDialects())('grants.open (%s)', (dialect) => {
  const core = useTestCore(dialect);
  const db = () => core.database.db;
  const openOf = async (userId: string) =>
    (
      await sql<{
        id: string;
        remaining_mc: number;
        open: number;
      }>`select id, remaining_mc, open from grants where user_id = ${userId} order by created_at, id`.execute(db())
    ).rows.map((r) => [Number(r.remaining_mc), Number(r.open)]);

  it('follows remaining_mc through the ledger: closed when a debit empties a grant, open when a reversal gives credits back', async () => {
    const u = await makeUser(core, { credits: 2 });
    await core.ledger.grant(u.id, 3000, 'adjustment', { grant: { expiresAt: Date.now() + 86_400_000 } });
    expect(await openOf(u.id)).toEqual([
      [2000, 1],
      [3000, 1],
    ]);
    // The expiring grant is spent first: a debit of 3 empties it.
    const spent = await core.ledger.debit(u.id, 3000, 'usage', { usage: testUsage(3000) });
    expect(await openOf(u.id)).toEqual([
      [2000, 1],
      [0, 0],
    ]);
    // The reversal gives the credits back as a grant of their own, as they were (source, expiry): open.
    await core.ledger.reverseUsage(u.id, spent.usageId as string);
    expect(await openOf(u.id)).toEqual([
      [2000, 1],
      [0, 0],
      [3000, 1],
    ]);
    await core.ledger.debit(u.id, 1000, 'usage', { usage: testUsage(1000) });
    expect(await openOf(u.id)).toEqual([
      [2000, 1],
      [0, 0],
      [2000, 1],
    ]);
    // Spending all that is left closes every grant.
    await core.ledger.debit(u.id, 4000, 'usage', { usage: testUsage(4000) });
    expect(await openOf(u.id)).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    expect((await core.ledger.balance(u.id)).balanceMc).toBe(0);
    expect((await verifyLedger(db(), testLedgerKey)).violations).toEqual([]);
  });

  it('is kept by the database whoever writes remaining_mc (the release before, an operator)', async () => {
    const u = await makeUser(core, { credits: 5 });
    const [g] = (await sql<{ id: string }>`select id from grants where user_id = ${u.id}`.execute(db())).rows;
    const id = (g as { id: string }).id;
    await sql`update grants set remaining_mc = 0 where id = ${id}`.execute(db());
    expect(await openOf(u.id)).toEqual([[0, 0]]);
    await sql`update grants set remaining_mc = 5000 where id = ${id}`.execute(db());
    expect(await openOf(u.id)).toEqual([[5000, 1]]);
    // An insert naming no `open`, as the release before writes a grant: with credits, and without.
    for (const [gid, mc] of [
      ['old-release-a', 700],
      ['old-release-b', 0],
    ] as const) {
      await sql`insert into grants (id, user_id, source, credits_mc, remaining_mc, created_at)
        values (${gid}, ${u.id}, 'adjustment', 700, ${mc}, ${Date.now()})`.execute(db());
    }
    const flags = (
      await sql<{ id: string; open: number }>`select id, open from grants where id like 'old-release-%' order by id`.execute(db())
    ).rows;
    expect(flags.map((r) => [r.id, Number(r.open)])).toEqual([
      ['old-release-a', 1],
      ['old-release-b', 0],
    ]);
    if (dialect === 'sqlite') {
      // Set by hand to a wrong value, it is mended at once.
      await sql`update grants set open = 0 where id = 'old-release-a'`.execute(db());
      expect(Number((await sql<{ open: number }>`select open from grants where id = 'old-release-a'`.execute(db())).rows[0]?.open)).toBe(1);
    } else {
      // A generated column: PostgreSQL refuses to have it set.
      await expect(sql`update grants set open = 0 where id = 'old-release-a'`.execute(db())).rejects.toThrow(
        /can only be updated to DEFAULT/,
      );
    }
    await sql`delete from grants where id like 'old-release-%'`.execute(db());
  });

  it.runIf(dialect === 'sqlite')('credits verify flags a grant marked closed with credits left', async () => {
    const u = await makeUser(core, { credits: 4 });
    await sql`drop trigger grants_open_updated`.execute(db());
    try {
      await sql`update grants set open = 0 where user_id = ${u.id}`.execute(db());
      const { violations } = await verifyLedger(db(), testLedgerKey);
      expect(violations).toEqual([expect.stringMatching(new RegExp(`of account ${u.id}: marked closed with 4000 left`))]);
    } finally {
      await sql`update grants set open = 1 where user_id = ${u.id}`.execute(db());
      await sql.raw(SQLITE_OPEN_TRIGGERS.grants_open_updated).execute(db());
    }
  });

  it.runIf(dialect === 'sqlite')(
    'the ledger writer’s updates of a grant write no entry of grants_open, nor of grants_due unless it expires',
    async () => {
      const rootOf = async (index: string) =>
        Number((await sql<{ rootpage: number }>`select rootpage from sqlite_master where name = ${index}`.execute(db())).rows[0]?.rootpage);
      /** The b-trees a statement opens to write, by root page: EXPLAIN lists its own program, then each trigger's (from the next Init on). */
      const writes = async (statement: string) => {
        const raw = core.database.sqlite as NonNullable<typeof core.database.sqlite>;
        const params = new Array(statement.split('?').length - 1).fill(null);
        const program = raw.prepare(`explain ${statement}`).all(...params) as { opcode: string; p2: number }[];
        const own = program.slice(
          0,
          program.findIndex((r, i) => i > 0 && r.opcode === 'Init'),
        );
        return own.filter((r) => r.opcode === 'OpenWrite').map((r) => Number(r.p2));
      };
      const [open, due, table] = [await rootOf('grants_open'), await rootOf('grants_due'), await rootOf('grants')];
      // The statements as core/ledger/write-sqlite.ts runs them.
      const spent = await writes(GRANT_SPENT);
      expect(spent).toContain(table);
      expect(spent).not.toContain(open);
      expect(spent).not.toContain(due);
      // An expiry sets expired_at, which grants_due's predicate reads (and shows the check can fail).
      const expiring = await writes(GRANT_CHANGED);
      expect(expiring).toContain(due);
      expect(expiring).not.toContain(open);
    },
  );
});
