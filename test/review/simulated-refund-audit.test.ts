/**
 * Review finding: two different partial refunds of one simulated payment sent at once
 * without an Idempotency-Key are merged (the second's target is the refunded amount it read
 * before plus its amount), yet each audit entry said it refunded its whole amount: the audit
 * log showed more refunded than the payment was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purchaseSimulated } from '../../src/core/payments/purchase-credits.js';
import { refundSimulated } from '../../src/core/payments/payment-events.js';
import { type TestCore, activeDialects, createTestCore } from '../support/db.js';
import { makeUser } from '../support/factories.js';

describe.each(await activeDialects())('simulated refunds in the audit log (%s)', (dialect) => {
  let core: TestCore;
  beforeAll(async () => {
    core = await createTestCore(dialect);
  });
  afterAll(async () => {
    await core?.dispose();
  });

  it('audits what each refund really refunded: the entries add up to the refunded amount', async () => {
    const admin = await makeUser(core, { role: 'admin' });
    const u = await makeUser(core);
    const { payment } = await purchaseSimulated(core, u.id, 'pkg_professional', undefined);
    await Promise.all([refundSimulated(core, payment.id, 300, admin.id), refundSimulated(core, payment.id, 500, admin.id)]);
    const p = await core.database.db.selectFrom('stripe_payments').selectAll().where('id', '=', payment.id).executeTakeFirstOrThrow();
    const audited = await core.database.db
      .selectFrom('audit_log')
      .select('details')
      .where('action', '=', 'payment.refund')
      .where('target_id', '=', payment.id)
      .execute();
    const sum = audited.reduce((s, a) => s + (JSON.parse(a.details as string) as { amountCents: number }).amountCents, 0);
    expect(sum).toBe(p.refunded_cents);
  });
});
