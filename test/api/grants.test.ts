/**
 * GET /api/credits/grants on both databases: the grants the balance is made of, newest first,
 * paginated; `?active=true` only those with credits left; an admin's debit takes the expiring
 * adjustment's credits before the purchase's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';

describe.each(await activeDialects())('grants of the signed-in user on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('lists the grants, newest first, paginated; active ones only on request; spending takes the expiring one first', async () => {
    const admin = await s.userWithRole('admin');
    const u = await s.register();
    await s.grant(u.user.id, 10);
    const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const adj = await admin.api.post(`/api/admin/users/${u.user.id}/adjustments`, { amount: 2.5, reason: 'promo', expiresAt });
    expect(adj.status).toBe(201);

    const all = await u.api.get('/api/credits/grants');
    expect(all.status).toBe(200);
    expect(
      all.body.items.map((g: { source: string; credits: number; remaining: number; expiresAt: string | null }) => [
        g.source,
        g.credits,
        g.remaining,
        g.expiresAt,
      ]),
    ).toEqual([
      ['adjustment', 2.5, 2.5, expiresAt],
      ['purchase', 10, 10, null],
    ]);
    const first = await u.api.get('/api/credits/grants?limit=1');
    expect(first.body.items).toHaveLength(1);
    const second = await u.api.get(`/api/credits/grants?limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(second.body.items[0].source).toBe('purchase');
    expect(second.body.nextCursor).toBeNull();

    // A debit of 3 takes the expiring 2.5 first, then 0.5 of the purchase.
    expect((await admin.api.post(`/api/admin/users/${u.user.id}/adjustments`, { amount: -3, reason: 'correction' })).status).toBe(201);
    const active = await u.api.get('/api/credits/grants?active=true');
    expect(active.body.items.map((g: { source: string; remaining: number }) => [g.source, g.remaining])).toEqual([['purchase', 9.5]]);
    expect((await u.api.get('/api/credits/grants?active=false')).body.items).toHaveLength(2);

    // Another user sees none of them; bad input is 400; no token is 401.
    const other = await s.register();
    expect((await other.api.get('/api/credits/grants')).body.items).toEqual([]);
    expect((await u.api.get('/api/credits/grants?active=maybe')).status).toBe(400);
    expect((await u.api.get('/api/credits/grants?cursor=forged')).status).toBe(400);
    expect((await s.api.get('/api/credits/grants')).status).toBe(401);
    expect((await verifyLedger(s.running.core.database.db, s.running.core.ledgerKey)).violations).toEqual([]);
  });
});
