/**
 * Low-balance alerts: the alert and the flag that says it was sent commit together, so
 * a failure between them cannot swallow the alert of a crossing; a failed check is
 * logged, not hidden.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects, createTestCore, type TestCore } from '../../../test/support/db.js';
import { alertMessages, makeUser } from '../../../test/support/factories.js';
import { failing } from '../../../test/support/faults.js';
import type { BalanceChange } from '../ledger/types.js';
import { ThresholdAlerts } from './alerts.js';

describe.each(await activeDialects())('low-balance alerts on %s', (dialect) => {
  let core: TestCore;
  let changes: BalanceChange[] = [];
  beforeAll(async () => {
    core = await createTestCore(dialect);
    core.writer.onCommit((c) => changes.push(...c));
  });
  afterAll(async () => {
    await core?.dispose();
  });

  async function debit(userId: string, mc: number): Promise<BalanceChange[]> {
    changes = [];
    await core.ledger.debit(userId, mc, 'adjustment');
    return changes;
  }
  const lowAlerts = async (userId: string) => (await alertMessages(core, userId, 'low_balance')).length;

  it('a failed alert insert leaves the flag unset, so the next debit alerts', async () => {
    const u = await makeUser(core, { credits: 20 });
    await core.database.db
      .updateTable('user_settings')
      .set({ low_balance_threshold_mc: 10_000, below_threshold: 0 })
      .where('user_id', '=', u.id)
      .execute();
    const lines: { obj: Record<string, unknown>; msg: string }[] = [];
    const log = { error: (obj: Record<string, unknown>, msg: string) => void lines.push({ obj, msg }) };
    const fault = failing('insert', 'credit_alerts');
    const alerts = new ThresholdAlerts(core.database.db.withPlugin(fault), { log });
    await alerts.onCommit(await debit(u.id, 12_000));
    expect(fault.left()).toBe(0);
    expect(lines.map((l) => [l.msg, (l.obj.err as Error).message])).toEqual([['low-balance check failed', 'connection reset by peer']]);
    expect(await lowAlerts(u.id)).toBe(0);
    const s = await core.database.db
      .selectFrom('user_settings')
      .select('below_threshold')
      .where('user_id', '=', u.id)
      .executeTakeFirstOrThrow();
    expect(s.below_threshold).toBe(0);
    await alerts.onCommit(await debit(u.id, 1_000));
    expect(await lowAlerts(u.id)).toBe(1);
    await alerts.onCommit(await debit(u.id, 1_000));
    expect(await lowAlerts(u.id)).toBe(1);
  });
});
