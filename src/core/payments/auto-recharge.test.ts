/**
 * Auto-recharge never charges twice for one crossing, even when another instance's late
 * after-commit check sees an old balance; a recharge that does not happen (package
 * inactive, monthly cap, no provider, an error) re-arms it for later instead of leaving
 * it silently off; errors are logged. Two AutoRecharge objects on one database stand for
 * two instances; changes are handed to them by the test, as each instance's writer would.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { activeDialects, useTestCore } from '../../../test/support/db.js';
import { alertMessages, makeUser } from '../../../test/support/factories.js';
import { coreWithFault, failing } from '../../../test/support/faults.js';
import { until } from '../../../test/support/poll.js';
import { updateSettings } from '../accounts/settings.js';
import type { BalanceChange } from '../ledger/types.js';
import { AutoRecharge } from './auto-recharge.js';
import type { IntentFacts, PaymentProvider } from './provider.js';

const THRESHOLD = 10_000;
const HOUR = 3_600_000;

/** A card processor whose off-session charges wait until released (or fail, when told). */
function gatedProvider() {
  const calls: string[] = [];
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const provider: PaymentProvider = {
    ensureCustomer: async () => 'cus_test',
    createIntent: async () => ({ id: 'pi_x', clientSecret: 'secret' }),
    retrieveIntent: async () => {
      throw new Error('not used');
    },
    retrieveCharge: async () => {
      throw new Error('not used');
    },
    refund: async () => {},
    chargeOffSession: async (input): Promise<IntentFacts> => {
      calls.push(input.paymentId);
      await gate;
      return {
        id: `pi_${input.paymentId}`,
        status: 'succeeded',
        amountCents: input.amountCents,
        currency: input.currency,
        chargeId: `ch_${input.paymentId}`,
        paymentId: input.paymentId,
        lastError: null,
      };
    },
    findIntent: async () => null,
    verifyWebhook: () => {
      throw new Error('not used');
    },
  };
  return { provider, calls, release: () => open() };
}

function logs() {
  const lines: { obj: Record<string, unknown>; msg: string }[] = [];
  return { lines, log: { error: (obj: Record<string, unknown>, msg: string) => void lines.push({ obj, msg }) } };
}

describe.each(await activeDialects())('auto-recharge on %s', (dialect) => {
  let clock = Date.UTC(2031, 0, 15, 12);
  let changes: BalanceChange[] = [];
  const core = useTestCore(dialect, () => clock);
  beforeAll(() => {
    core.writer.onCommit((c) => changes.push(...c));
  });

  /** The change the next commit publishes for `userId`. */
  async function commit(userId: string, fn: () => Promise<unknown>): Promise<BalanceChange> {
    changes = [];
    await fn();
    const c = changes.find((x) => x.userId === userId);
    if (!c) throw new Error('no change published');
    return c;
  }

  async function userWithAutoRecharge(credits: number, opts: { customer?: boolean } = {}) {
    const u = await makeUser(core);
    await updateSettings(
      core.database.db,
      u.id,
      { autoRecharge: { enabled: true, thresholdMc: THRESHOLD, packageId: 'pkg_starter' } },
      clock,
    );
    if (opts.customer) await core.database.db.updateTable('users').set({ stripe_customer_id: 'cus_test' }).where('id', '=', u.id).execute();
    const granted = await commit(u.id, () => core.ledger.grant(u.id, credits * 1000, 'adjustment'));
    return { id: u.id, granted };
  }
  /** Hands `change` to `ar`, then the changes its own commits publish (a recharge's grant), as the writer would. */
  async function check(ar: AutoRecharge, change: BalanceChange) {
    let next = [change];
    while (next.length > 0) {
      changes = [];
      await ar.onCommit(next);
      next = changes.filter((c) => c.userId === change.userId);
    }
  }
  const spend = (userId: string, credits: number) => commit(userId, () => core.ledger.debit(userId, credits * 1000, 'adjustment'));
  const settings = (userId: string) =>
    core.database.db.selectFrom('user_settings').selectAll().where('user_id', '=', userId).executeTakeFirstOrThrow();
  const recharges = (userId: string) =>
    core.database.db.selectFrom('stripe_payments').selectAll().where('user_id', '=', userId).where('kind', '=', 'auto_recharge').execute();
  const alerts = (userId: string) => alertMessages(core, userId, 'auto_recharge_failed');

  it('charges once for one crossing when another instance re-arms from an old balance', async () => {
    const { provider, calls, release } = gatedProvider();
    const a = new AutoRecharge(core, provider, logs());
    const b = new AutoRecharge(core, provider, logs());
    const u = await userWithAutoRecharge(11, { customer: true });
    const crossing = await spend(u.id, 2);
    // Instance A sees the crossing and charges the card (the charge is still in flight)...
    const first = a.onCommit([crossing]);
    await until('the first off-session charge', () => calls.length === 1);
    // ...while instance B's check of an older commit (11 credits available) runs late.
    await b.onCommit([u.granted]);
    // The next debit, on B: still the same crossing.
    const next = await spend(u.id, 1);
    const second = b.onCommit([next]);
    release();
    await Promise.all([first, second]);
    expect(calls).toHaveLength(1);
    expect((await recharges(u.id)).map((p) => p.status)).toEqual(['succeeded']);
  });

  it('re-arms after an inactive package, and recharges once it is back', async () => {
    const { lines, log } = logs();
    const ar = new AutoRecharge(core, undefined, { allowSimulated: true, log });
    const u = await userWithAutoRecharge(11);
    await core.database.db.updateTable('credit_packages').set({ active: 0 }).where('id', '=', 'pkg_starter').execute();
    try {
      await check(ar, await spend(u.id, 2));
      expect(await recharges(u.id)).toEqual([]);
      expect(await alerts(u.id)).toEqual([expect.stringMatching(/no longer available/)]);
      const s = await settings(u.id);
      expect({ fired: s.auto_recharge_fired, failures: s.auto_recharge_failures }).toEqual({ fired: 0, failures: 1 });
      expect(s.auto_recharge_retry_at).toBe(clock + 15 * 60_000);
      // Within the backoff another debit neither charges nor alerts again.
      await check(ar, await spend(u.id, 1));
      expect(await alerts(u.id)).toHaveLength(1);
    } finally {
      await core.database.db.updateTable('credit_packages').set({ active: 1 }).where('id', '=', 'pkg_starter').execute();
    }
    clock += HOUR;
    await check(ar, await spend(u.id, 1));
    expect((await recharges(u.id)).map((p) => p.status)).toEqual(['succeeded']);
    expect((await settings(u.id)).auto_recharge_failures).toBe(0);
    expect(lines).toEqual([]);
  });

  it('tries at once after the user chooses another package', async () => {
    const ar = new AutoRecharge(core, undefined, { allowSimulated: true, log: logs().log });
    const u = await userWithAutoRecharge(11);
    await core.database.db.updateTable('user_settings').set({ auto_recharge_package_id: 'pkg_gone' }).where('user_id', '=', u.id).execute();
    await check(ar, await spend(u.id, 2));
    expect(await alerts(u.id)).toHaveLength(1);
    await updateSettings(core.database.db, u.id, { autoRecharge: { packageId: 'pkg_starter' } }, clock);
    await check(ar, await spend(u.id, 1));
    expect(await recharges(u.id)).toHaveLength(1);
  });

  it('re-arms at the start of next month after the monthly cap', async () => {
    const ar = new AutoRecharge(core, undefined, { allowSimulated: true, monthlyCap: 1, log: logs().log });
    const u = await userWithAutoRecharge(11);
    await check(ar, await spend(u.id, 2));
    expect(await recharges(u.id)).toHaveLength(1);
    // 109 credits now: spend below the threshold again, the same month.
    await check(ar, await spend(u.id, 100));
    expect(await recharges(u.id)).toHaveLength(1);
    expect(await alerts(u.id)).toEqual([expect.stringMatching(/limit of 1/)]);
    const d = new Date(clock);
    expect((await settings(u.id)).auto_recharge_retry_at).toBe(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
    expect((await settings(u.id)).auto_recharge_fired).toBe(0);
    clock = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1, 0, 5);
    await check(ar, await spend(u.id, 1));
    expect(await recharges(u.id)).toHaveLength(2);
  });

  it('re-arms when no provider can charge, so a restart with one recharges', async () => {
    const none = new AutoRecharge(core, undefined, { allowSimulated: false, log: logs().log });
    const u = await userWithAutoRecharge(11);
    await check(none, await spend(u.id, 2));
    expect(await alerts(u.id)).toEqual([expect.stringMatching(/payments are not available/)]);
    expect((await settings(u.id)).auto_recharge_fired).toBe(0);
    clock += HOUR;
    const restarted = new AutoRecharge(core, undefined, { allowSimulated: true, log: logs().log });
    await check(restarted, await spend(u.id, 1));
    expect(await recharges(u.id)).toHaveLength(1);
  });

  it('logs an error, re-arms after the backoff and recharges then', async () => {
    const u = await userWithAutoRecharge(11);
    // The database refuses the recharge's first query of payments (the monthly count).
    const broken = coreWithFault(core, failing('select', 'stripe_payments'));
    const { lines, log } = logs();
    const ar = new AutoRecharge(broken, undefined, { allowSimulated: true, log });
    await check(ar, await spend(u.id, 2));
    expect(lines.map((l) => [l.msg, (l.obj.err as Error).message])).toEqual([['auto-recharge failed', 'connection reset by peer']]);
    expect(lines[0]?.obj.userId).toBe(u.id);
    const s = await settings(u.id);
    expect({ fired: s.auto_recharge_fired, failures: s.auto_recharge_failures, retryAt: s.auto_recharge_retry_at }).toEqual({
      fired: 0,
      failures: 1,
      retryAt: clock + 15 * 60_000,
    });
    expect(await recharges(u.id)).toEqual([]);
    clock += HOUR;
    await check(ar, await spend(u.id, 1));
    expect(await recharges(u.id)).toHaveLength(1);
  });
});
