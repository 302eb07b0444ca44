/**
 * GET /api/credits/grants on both databases: the grants the balance is made of, newest first,
 * paginated; `?active=true` only those with credits left; an admin's debit takes the expiring
 * adjustment's credits before the purchase's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { activePackage, fulfilmentOp, newPayment, packageExpiry } from '../../src/core/payments/purchase-credits.js';
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
    expect(all.body.items.map((g) => [g.source, g.credits, g.remaining, g.expiresAt])).toEqual([
      ['adjustment', 2.5, 2.5, expiresAt],
      ['purchase', 10, 10, null],
    ]);
    const first = await u.api.get('/api/credits/grants?limit=1');
    expect(first.body.items).toHaveLength(1);
    const second = await u.api.get(`/api/credits/grants?limit=1&cursor=${encodeURIComponent(first.body.nextCursor ?? '')}`);
    expect(second.body.items[0]?.source).toBe('purchase');
    expect(second.body.nextCursor).toBeNull();

    // A debit of 3 takes the expiring 2.5 first, then 0.5 of the purchase.
    expect((await admin.api.post(`/api/admin/users/${u.user.id}/adjustments`, { amount: -3, reason: 'correction' })).status).toBe(201);
    const active = await u.api.get('/api/credits/grants?active=true');
    expect(active.body.items.map((g) => [g.source, g.remaining])).toEqual([['purchase', 9.5]]);
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

describe.each(await activeDialects())('package expiry on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('a package sets how long its credits and bonus last; a purchase grants them expiring that long after the payment', async () => {
    const admin = await s.userWithRole('admin');
    const created = await admin.api.post('/api/admin/packages', {
      name: 'Expiring',
      credits: 40,
      bonusCredits: 5,
      priceCents: 900,
      creditsExpireInDays: 30,
      bonusExpireInDays: 7,
    });
    expect(created.status).toBe(201);
    expect(created.body.package).toMatchObject({ creditsExpireInDays: 30, bonusExpireInDays: 7 });
    const id = created.body.package.id as string;
    // The default is never.
    const plain = await admin.api.post('/api/admin/packages', { name: 'Plain', credits: 1, priceCents: 100 });
    expect(plain.body.package).toMatchObject({ creditsExpireInDays: null, bonusExpireInDays: null });

    // Bad input: 400 naming the field, nothing written.
    const before = (await admin.api.get('/api/admin/packages')).body.items.length;
    for (const bad of [0, -3, 1.5, '30', 3651]) {
      const r = await admin.api.post('/api/admin/packages', { name: 'Bad', credits: 1, priceCents: 100, creditsExpireInDays: bad });
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.error)).toContain('creditsExpireInDays');
      const p = await admin.api.patch(`/api/admin/packages/${id}`, { bonusExpireInDays: bad });
      expect(p.status).toBe(400);
    }
    expect((await admin.api.get('/api/admin/packages')).body.items.length).toBe(before);
    const listed = (await admin.api.get('/api/admin/packages')).body.items.find((p) => p.id === id);
    expect(listed).toMatchObject({ creditsExpireInDays: 30, bonusExpireInDays: 7 });
    expect((await s.api.get('/api/credits/packages')).body.items.find((p) => p.id === id)).toMatchObject({
      creditsExpireInDays: 30,
      bonusExpireInDays: 7,
    });

    const u = await s.register();
    const buy = await u.api.post('/api/credits/purchase', { packageId: id });
    expect(buy.status).toBe(201);
    const grants = (await u.api.get('/api/credits/grants')).body.items as {
      source: string;
      credits: number;
      expiresAt: string | null;
      createdAt: string;
    }[];
    const bySource = Object.fromEntries(grants.map((g) => [g.source, g]));
    const paidAt = Date.parse(bySource.purchase?.createdAt ?? '');
    expect(bySource.purchase).toMatchObject({ credits: 40, expiresAt: new Date(paidAt + 30 * 86_400_000).toISOString() });
    expect(bySource.bonus).toMatchObject({ credits: 5, expiresAt: new Date(paidAt + 7 * 86_400_000).toISOString() });

    // PATCH changes one and clears the other (null: never); later purchases follow, earlier grants keep theirs.
    const patched = await admin.api.patch(`/api/admin/packages/${id}`, { creditsExpireInDays: null, bonusExpireInDays: 90 });
    expect(patched.status).toBe(200);
    expect(patched.body.package).toMatchObject({ creditsExpireInDays: null, bonusExpireInDays: 90 });
    const v = await s.register();
    expect((await v.api.post('/api/credits/purchase', { packageId: id })).status).toBe(201);
    const vGrants = (await v.api.get('/api/credits/grants')).body.items as typeof grants;
    const vBonus = vGrants.find((g) => g.source === 'bonus');
    expect(vGrants.find((g) => g.source === 'purchase')?.expiresAt).toBeNull();
    expect(vBonus?.expiresAt).toBe(new Date(Date.parse(vBonus?.createdAt ?? '') + 90 * 86_400_000).toISOString());
    expect((await u.api.get('/api/credits/grants')).body.items).toEqual(grants);
    expect((await verifyLedger(s.running.core.database.db, s.running.core.ledgerKey)).violations).toEqual([]);
  });

  it('an auto-recharge (or a Stripe payment fulfilled later) grants with the package expiry from the moment it is paid', async () => {
    const core = s.running.core;
    const admin = await s.userWithRole('admin');
    const created = await admin.api.post('/api/admin/packages', {
      name: 'Recharge',
      credits: 10,
      bonusCredits: 1,
      priceCents: 500,
      creditsExpireInDays: 2,
    });
    const pkg = await activePackage(core.database.db, created.body.package.id);
    const u = await s.register();
    const paidAt = await core.writer.transaction(async ({ trx, now, apply }) => {
      const payment = newPayment(
        pkg,
        u.user.id,
        { id: `exp-${u.user.id}`, provider: 'simulated', status: 'succeeded', kind: 'auto_recharge' },
        now,
      );
      await trx.insertInto('stripe_payments').values(payment).execute();
      const [r] = await apply([fulfilmentOp(payment, await packageExpiry(trx, pkg.id), now)]);
      if (!r?.ok) throw r?.error;
      return now;
    });
    const grants = (await u.api.get('/api/credits/grants')).body.items as { source: string; expiresAt: string | null }[];
    expect(grants.find((g) => g.source === 'auto_recharge')?.expiresAt).toBe(new Date(paidAt + 2 * 86_400_000).toISOString());
    expect(grants.find((g) => g.source === 'bonus')?.expiresAt).toBeNull();
  });
});

describe.each(await activeDialects())('what expires soon on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect, { SERVICE_API_KEY: 'ck_test_bootstrap_expiring_soon_0123456789' });
  });
  afterAll(async () => {
    await s?.stop();
  });

  /** The next balance event of an open stream. */
  function events(res: Response) {
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const dec = new TextDecoder();
    let buf = '';
    return async () => {
      for (;;) {
        const i = buf.indexOf('\n\n');
        if (i >= 0) {
          const raw = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (raw.startsWith(':')) continue;
          return JSON.parse(
            raw
              .split('\n')
              .find((l) => l.startsWith('data: '))
              ?.slice(6) ?? 'null',
          );
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buf += dec.decode(value, { stream: true });
      }
    };
  }

  it('the balance names the credits expiring in the next 30 days and the earliest expiry; the stream and the service API too', async () => {
    const admin = await s.userWithRole('admin');
    const u = await s.register();
    await s.grant(u.user.id, 10);
    const none = { credits: 0, at: null };
    expect((await u.api.get('/api/credits/balance')).body.expiringSoon).toEqual(none);

    const ctrl = new AbortController();
    const res = await fetch(`${s.url}/api/credits/stream`, { headers: { authorization: `Bearer ${u.token}` }, signal: ctrl.signal });
    const next = events(res);
    expect(await next()).toMatchObject({ balance: 10, expiringSoon: none });

    const in7 = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const in20 = new Date(Date.now() + 20 * 86_400_000).toISOString();
    const in40 = new Date(Date.now() + 40 * 86_400_000).toISOString();
    for (const [amount, expiresAt] of [
      [1, in20],
      [2.5, in7],
      [4, in40],
    ] as const) {
      expect((await admin.api.post(`/api/admin/users/${u.user.id}/adjustments`, { amount, reason: 'promo', expiresAt })).status).toBe(201);
    }
    // Within 30 days: 2.5 (in 7 days) and 1 (in 20); the 4 expiring in 40 days is not soon.
    const soon = { credits: 3.5, at: in7 };
    expect((await u.api.get('/api/credits/balance')).body).toMatchObject({ balance: 17.5, expiringSoon: soon });
    // Each change is an event; what expires soon is read as it is sent, so the last of them has all three.
    let e = await next();
    while (e.balance !== 17.5) e = await next();
    expect(e.expiringSoon).toEqual(soon);

    // Spending takes the earliest expiry first: a debit of 3 leaves 0.5 of it.
    expect((await admin.api.post(`/api/admin/users/${u.user.id}/adjustments`, { amount: -3, reason: 'correction' })).status).toBe(201);
    expect(await next()).toMatchObject({ balance: 14.5, expiringSoon: { credits: 0.5, at: in20 } });
    expect((await u.api.get('/api/credits/balance')).body.expiringSoon).toEqual({ credits: 0.5, at: in20 });
    // The sweeper expiring that 0.5 is a change the stream sends, with what expires soon read again: nothing.
    await s.running.core.database.db
      .updateTable('grants')
      .set({ expires_at: Date.now() - 1000 })
      .where('user_id', '=', u.user.id)
      .where('remaining_mc', '=', 500)
      .execute();
    expect(await s.running.core.ledger.expireGrants()).toBe(1);
    expect(await next()).toMatchObject({ balance: 14, expiringSoon: none });
    ctrl.abort();

    // The service API's balance of a customer says the same.
    const key = (await admin.api.post('/api/admin/api-keys', { name: 'Expiry' })).body.key as string;
    const svc = s.api.withToken(key);
    const c = await svc.put('/api/v1/customers/exp-1', { name: 'Grace' });
    const accountId = c.body.customer.accountId as string;
    expect((await svc.get('/api/v1/customers/exp-1/balance')).body.expiringSoon).toEqual(none);
    expect((await admin.api.post(`/api/admin/users/${accountId}/adjustments`, { amount: 2, reason: 'trial', expiresAt: in7 })).status).toBe(
      201,
    );
    expect((await svc.get('/api/v1/customers/exp-1/balance')).body).toMatchObject({ balance: 2, expiringSoon: { credits: 2, at: in7 } });

    // A grant the sweeper expired is no longer soon.
    const grant = await s.running.core.database.db
      .selectFrom('grants')
      .select('id')
      .where('user_id', '=', accountId)
      .executeTakeFirstOrThrow();
    await s.running.core.database.db
      .updateTable('grants')
      .set({ expires_at: Date.now() - 1000 })
      .where('id', '=', grant.id)
      .execute();
    await s.running.core.ledger.expireGrants();
    expect((await svc.get('/api/v1/customers/exp-1/balance')).body).toMatchObject({ balance: 0, expiringSoon: none });
    expect((await verifyLedger(s.running.core.database.db, s.running.core.ledgerKey)).violations).toEqual([]);
  });
});
