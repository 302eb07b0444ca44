/**
 * A metered quantity whose cost is beyond the largest amount the service counts (the
 * contract's 1,000,000,000 credits, far inside the safe integer range) is a 400 with
 * nothing written, for a user and for a super admin (whose usage is recorded uncharged),
 * never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';

const KEY = { 'x-service-key': 'service-key-123' };

describe.each(await activeDialects())('metered quantities out of range on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect, { SERVICE_API_KEY: 'service-key-123' });
  });
  afterAll(async () => {
    await s?.stop();
  });

  const counts = async () => {
    const db = s.running.core.database.db;
    const [usage, ledger, keys] = await Promise.all([
      db
        .selectFrom('usage_tracking')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('credit_transactions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('idempotency_keys')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    ]);
    return [Number(usage.n), Number(ledger.n), Number(keys.n)];
  };

  // job_posting costs 5 credits a post: 9,000,000,000,000 posts cost 4.5e16 mc, past 2^53.
  const huge = (userId: string, key: string) => ({
    userId,
    operation: 'job_posting',
    unit: 'per_post',
    quantity: 9_000_000_000_000,
    idempotencyKey: key,
  });

  it('answers 400 for a user, with the service key or an admin token, and writes nothing', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 10);
    const admin = await s.userWithRole('super_admin');
    const before = await counts();
    for (const [api, headers] of [
      [s.api, KEY],
      [admin.api, {}],
    ] as const) {
      const r = await api.post('/api/usage', huge(u.user.id, `huge-${Math.random()}`), headers);
      expect(r.status, r.text).toBe(400);
      expect(r.error?.code).toBe('validation_error');
    }
    // A billion credits is the most one operation may cost: 200,000,000 posts is exactly that, and merely unaffordable.
    const most = await s.api.post('/api/usage', { ...huge(u.user.id, 'most'), quantity: 200_000_000 }, KEY);
    expect(most.status).toBe(402);
    const over = await s.api.post('/api/usage', { ...huge(u.user.id, 'over'), quantity: 200_000_000.001 }, KEY);
    expect(over.status).toBe(400);
    expect(await counts()).toEqual(before);
    expect((await u.api.get('/api/credits/balance')).body.balance).toBe(10);
  });

  it('answers 400 for a super admin, whose usage is recorded uncharged, and writes nothing', async () => {
    const boss = await s.userWithRole('super_admin');
    const before = await counts();
    const r = await s.api.post('/api/usage', huge(boss.user.id, 'boss-huge'), KEY);
    expect(r.status, r.text).toBe(400);
    expect(r.error?.code).toBe('validation_error');
    expect(await counts()).toEqual(before);
    // A price of a billion credits: the cost of such a quantity is past what a BIGINT holds.
    const admin = await s.userWithRole('super_admin');
    expect(
      (await admin.api.post('/api/admin/pricing', { operation: 'moon_landing', unit: 'per_call', credits: 1_000_000_000 })).status,
    ).toBe(201);
    const r2 = await s.api.post('/api/usage', { ...huge(boss.user.id, 'boss-moon'), operation: 'moon_landing', unit: 'per_call' }, KEY);
    expect(r2.status, r2.text).toBe(400);
    expect(await counts()).toEqual(before);
    const ok = await s.api.post('/api/usage', { ...huge(boss.user.id, 'boss-ok'), quantity: 3 }, KEY);
    expect(ok.status).toBe(201);
    expect(ok.body.credits.charged).toBe(0);
  });
});
