/**
 * Review finding: an auto-recharge whose card charge went through but whose recording then
 * failed (the database dropped the connection at that moment) was re-armed as if nothing had
 * been charged. The payment stays pending for Stripe's webhook; until that webhook arrives,
 * the next debit after the backoff charged the card again, for the same crossing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { updateSettings } from '../../src/core/accounts/settings.js';
import { createCore } from '../../src/core/index.js';
import type { BalanceChange } from '../../src/core/ledger/types.js';
import { AutoRecharge } from '../../src/core/payments/auto-recharge.js';
import type { IntentFacts, PaymentProvider } from '../../src/core/payments/provider.js';
import { activeDialects, useTestCore, testLedgerKey } from '../support/db.js';
import { makeUser } from '../support/factories.js';
import { failing } from '../support/faults.js';

const HOUR = 3_600_000;

function cardProvider() {
  const charges: string[] = [];
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
      charges.push(input.paymentId);
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
  return { provider, charges };
}

describe.each(await activeDialects())('auto-recharge after a charge that could not be recorded (%s)', (dialect) => {
  let clock = Date.UTC(2031, 0, 15, 12);
  let changes: BalanceChange[] = [];
  const core = useTestCore(dialect, () => clock);
  beforeAll(() => {
    core.writer.onCommit((c) => changes.push(...c));
  });

  async function commit(userId: string, fn: () => Promise<unknown>): Promise<BalanceChange> {
    changes = [];
    await fn();
    const c = changes.find((x) => x.userId === userId);
    if (!c) throw new Error('no change published');
    return c;
  }

  it('does not charge the card a second time for the same crossing', async () => {
    const u = await makeUser(core);
    await updateSettings(core.database.db, u.id, { autoRecharge: { enabled: true, thresholdMc: 10_000, packageId: 'pkg_starter' } }, clock);
    await core.database.db.updateTable('users').set({ stripe_customer_id: 'cus_test' }).where('id', '=', u.id).execute();
    await commit(u.id, () => core.ledger.grant(u.id, 11_000, 'adjustment'));

    // An instance whose database drops the connection on the write that records the charged intent.
    const fault = failing('update', 'stripe_payments');
    const faulty = createCore({ ...core.database, db: core.database.db.withPlugin(fault) }, { ledgerKey: testLedgerKey, now: () => clock });
    const errors: string[] = [];
    const { provider, charges } = cardProvider();
    const ar = new AutoRecharge(faulty, provider, { log: { error: (_o, msg) => void errors.push(msg) } });

    await ar.onCommit([await commit(u.id, () => core.ledger.debit(u.id, 2_000, 'adjustment'))]);
    expect(fault.left()).toBe(0);
    expect(charges).toHaveLength(1);
    expect(errors).toHaveLength(1);
    // The charge went through: Stripe's webhook will add the credits. It has not come yet.
    const [payment] = await core.database.db.selectFrom('stripe_payments').selectAll().where('user_id', '=', u.id).execute();
    expect(payment?.status).toBe('pending');

    clock += HOUR;
    await ar.onCommit([await commit(u.id, () => core.ledger.debit(u.id, 1_000, 'adjustment'))]);
    expect(charges).toHaveLength(1);
    await faulty.writer.close();
  });
});
