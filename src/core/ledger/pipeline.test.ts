/**
 * The writer's pipeline (writer.ts, WRITER_PIPELINE=2): on PostgreSQL a batch starts while the one before is
 * still writing and committing. With batches of 4, two accounts' debits submitted at once in
 * blocks of 4 make batches that alternate between the accounts (they overlap fully) and
 * follow one another on each account (each waits for the one before to commit). Each
 * account must still see its debits in arrival order: every outcome (the balance after it,
 * or the refusal when the balance is short) is that of applying them one by one, and the
 * ledger verifies. On SQLite the same test runs one batch at a time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects, createTestCore, type TestCore } from '../../../test/support/db.js';
import { makeUser } from '../../../test/support/factories.js';
import { DomainError } from '../errors.js';
import { verifyLedger } from './verify.js';

describe.each(await activeDialects())('the writer pipeline (%s)', (dialect) => {
  let core: TestCore;
  beforeAll(async () => {
    core = await createTestCore(dialect, { maxBatch: 4, pipeline: 2 });
  });
  afterAll(async () => {
    await core?.dispose();
  });

  it("applies each account's debits in arrival order across overlapping batches", async () => {
    const accounts = [await makeUser(core, { credits: 5 }), await makeUser(core, { credits: 5 })];
    const pipelinedBefore = core.writer.stats.pipelined;
    // 120 debits of 100-349 mc, in blocks of 4 per account: about 13,400 mc asked of each
    // account's 5,000, so the later ones are refused, some between two that pass.
    const asked = Array.from({ length: 120 }, (_, i) => ({
      account: Math.floor(i / 4) % 2,
      amountMc: 100 + ((i * 37) % 250),
    }));
    const outcomes = await Promise.all(
      asked.map(({ account, amountMc }) =>
        core.writer.submit({ kind: 'debit', type: 'adjustment', userId: accounts[account]?.id as string, amountMc }).then(
          (applied) => ({ ok: true as const, balanceMc: applied.balanceMc }),
          (e: unknown) => {
            if (e instanceof DomainError) return { ok: false as const, code: e.code };
            throw e;
          },
        ),
      ),
    );
    const balance = [5_000, 5_000];
    const expected = asked.map(({ account, amountMc }) => {
      const left = balance[account] as number;
      if (amountMc > left) return { ok: false as const, code: 'insufficient_credits' };
      balance[account] = left - amountMc;
      return { ok: true as const, balanceMc: left - amountMc };
    });
    expect(outcomes).toEqual(expected);
    expect(expected.some((o) => !o.ok)).toBe(true);
    for (const [i, a] of accounts.entries()) expect((await core.ledger.balance(a.id)).balanceMc).toBe(balance[i]);
    expect((await verifyLedger(core.database.db, core.ledgerKey)).violations).toEqual([]);
    // On PostgreSQL batches did overlap; SQLite has one connection and never does.
    const pipelined = core.writer.stats.pipelined - pipelinedBefore;
    if (dialect === 'postgres') expect(pipelined).toBeGreaterThan(0);
    else expect(pipelined).toBe(0);
  });
});
