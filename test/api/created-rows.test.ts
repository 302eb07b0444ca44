/**
 * An answer that returns a created row returns the stored values: every route that creates
 * something is compared with the same thing read back through the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';

describe.each(await activeDialects())('answers of creating routes equal the stored rows on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('registration answers the stored user', async () => {
    const u = await s.register();
    const me = await u.api.get('/api/auth/me');
    expect(me.body.user).toEqual(u.user);
  });

  it('an adjustment answers its stored transaction, to the millisecond', async () => {
    const admin = await s.userWithRole('admin');
    for (let i = 0; i < 20; i++) {
      const u = await s.register();
      const r = await admin.api.post(`/api/admin/users/${u.user.id}/adjustments`, { amount: 1.5, reason: `goodwill ${i}` });
      expect(r.status).toBe(201);
      const stored = (await u.api.get('/api/credits/transactions')).body.items.find((t) => t.id === r.body.transaction.id);
      expect(r.body.transaction).toEqual(stored);
      const detail = await admin.api.get(`/api/admin/users/${u.user.id}`);
      expect(detail.body.transactions[0]).toEqual(stored);
    }
  });

  it('a message answers the time of its stored charge', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 10);
    for (let i = 0; i < 20; i++) {
      const r = await u.api.post('/api/messages', { to: 'x', body: `m${i}` });
      const charge = (await u.api.get('/api/credits/transactions?type=usage&limit=1')).body.items[0]!;
      expect(r.body.message.createdAt).toBe(charge.createdAt);
    }
  });

  it('a purchase answers its stored payment', async () => {
    const u = await s.register();
    const r = await u.api.post('/api/credits/purchase', { packageId: 'pkg_starter' });
    const stored = (await u.api.get('/api/credits/payments')).body.items[0];
    expect(stored).toMatchObject(r.body.payment);
  });

  it('a new package and a new or repriced rule answer what is stored', async () => {
    const admin = await s.userWithRole('admin');
    const pkg = await admin.api.post('/api/admin/packages', {
      name: 'Trial',
      credits: 10,
      bonusCredits: 1.5,
      priceCents: 199,
      currency: 'usd',
      popular: false,
    });
    expect(pkg.status).toBe(201);
    const listed = (await admin.api.get('/api/admin/packages')).body.items.find((p) => p.id === pkg.body.package.id);
    expect(pkg.body.package).toEqual(listed);
    const rule = await admin.api.post('/api/admin/pricing', {
      operation: 'created_rows_op',
      unit: 'per_call',
      credits: 0.25,
      description: 'x',
    });
    expect(rule.status).toBe(201);
    const rules = async () => (await admin.api.get('/api/admin/pricing')).body.items;
    expect(rule.body.rule).toEqual((await rules()).find((x) => x.id === rule.body.rule.id));
    const repriced = await admin.api.patch(`/api/admin/pricing/${rule.body.rule.id}`, { credits: 0.5 });
    expect(repriced.body.rule).toEqual((await rules()).find((x) => x.id === repriced.body.rule.id));
  });
});
