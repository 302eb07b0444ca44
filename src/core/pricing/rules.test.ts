/**
 * The pricing cache never answers, nor keeps, rules read before an admin's price change
 * once that change has invalidated it: a load in flight across the change is left to
 * the callers that started it.
 */
import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects, createTestCore, type TestCore } from '../../../test/support/db.js';
import { PricingCache } from './rules.js';

describe.each(await activeDialects())('the pricing cache on %s', (dialect) => {
  let core: TestCore;
  beforeAll(async () => void (core = await createTestCore(dialect)));
  afterAll(() => core?.dispose());

  it('does not hand out or keep a load that was in flight during a price change', async () => {
    // Reads of the rules finish (the rows are read) and then wait for the test.
    let hold: Promise<void> | null = null;
    let reads = 0;
    const gated: KyselyPlugin = {
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        reads++;
        if (hold) await hold;
        return args.result;
      },
    };
    const cache = new PricingCache(core.database.db.withPlugin(gated), 60_000);
    const rule = await core.database.db
      .selectFrom('credit_pricing')
      .selectAll()
      .where('operation', '=', 'message')
      .where('active', '=', 1)
      .executeTakeFirstOrThrow();
    let release!: () => void;
    hold = new Promise((r) => (release = r));
    const before = cache.price('message', 'per_message', 1000);
    while (reads === 0) await new Promise((r) => setTimeout(r, 1));
    // The admin's change lands while that read (of the old price) is still on its way. (On
    // SQLite the held read keeps Kysely's one connection: the change goes straight to it.)
    if (core.database.sqlite)
      core.database.sqlite.prepare('update credit_pricing set credits_mc = ? where id = ?').run(rule.credits_mc * 2, rule.id);
    else
      await core.database.db
        .updateTable('credit_pricing')
        .set({ credits_mc: rule.credits_mc * 2 })
        .where('id', '=', rule.id)
        .execute();
    cache.invalidate();
    hold = null;
    const after = cache.price('message', 'per_message', 1000);
    release();
    try {
      expect((await before).costMc).toBe(rule.credits_mc);
      expect((await after).costMc).toBe(rule.credits_mc * 2);
      expect((await cache.price('message', 'per_message', 1000)).costMc).toBe(rule.credits_mc * 2);
    } finally {
      await core.database.db.updateTable('credit_pricing').set({ credits_mc: rule.credits_mc }).where('id', '=', rule.id).execute();
    }
  });

  it('shares one load between concurrent callers', async () => {
    let reads = 0;
    const counting: KyselyPlugin = {
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        reads++;
        return args.result;
      },
    };
    const cache = new PricingCache(core.database.db.withPlugin(counting), 60_000);
    await Promise.all(Array.from({ length: 20 }, () => cache.price('message', 'per_message', 1000)));
    expect(reads).toBe(1);
  });
  it('finds each active rule by its operation and unit, and no rule for a pair none has', async () => {
    const cache = new PricingCache(core.database.db, 60_000);
    const rules = [...(await cache.active()).values()];
    expect(rules.length).toBeGreaterThan(1);
    for (const r of rules) expect(await cache.rule(r.operation, r.unit)).toBe(r);
    const ops = new Set(rules.map((r) => r.operation));
    const units = new Set(rules.map((r) => r.unit));
    for (const op of ops)
      for (const unit of units) {
        if (rules.some((r) => r.operation === op && r.unit === unit)) continue;
        await expect(cache.rule(op, unit)).rejects.toMatchObject({ code: 'not_found' });
      }
    await expect(cache.rule('message/per', 'message')).rejects.toMatchObject({ code: 'not_found' });
  });
});
