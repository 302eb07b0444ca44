/**
 * Promo codes on both databases: an admin creates and lists them (audited; a code of 0 credits,
 * a past validUntil, a duplicate code refused with nothing written); a user redeems one once
 * (a `promo` grant expiring expiresInDays after the redemption); unknown 404, twice 409
 * already_redeemed, past validUntil or used up 410 promo_unavailable, nothing written. On
 * PostgreSQL, two server instances on one database: one account redeeming one code from both
 * at once gets it once, and many accounts racing for a code's last redemptions never exceed
 * maxRedemptions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { activeDialects, postgresAvailable } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';

const DAY = 86_400_000;

/** What a refusal must leave untouched: the account's ledger rows, grants and redemptions. */
async function written(s: TestServer, userId: string) {
  const db = s.running.core.database.db;
  const count = async (table: 'credit_transactions' | 'grants' | 'promo_redemptions') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .where('user_id', '=', userId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  return { rows: await count('credit_transactions'), grants: await count('grants'), redemptions: await count('promo_redemptions') };
}

describe.each(await activeDialects())('promo codes on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('an admin creates and lists codes; bad input is 400 and a taken code 409, nothing written; audited', async () => {
    const admin = await s.userWithRole('admin');
    const created = await admin.api.post('/api/admin/promo-codes', {
      code: 'welcome-10',
      credits: 10.5,
      expiresInDays: 30,
      maxRedemptions: 2,
    });
    expect(created.status).toBe(201);
    expect(created.body.promoCode).toMatchObject({
      code: 'WELCOME-10',
      credits: 10.5,
      expiresInDays: 30,
      maxRedemptions: 2,
      validUntil: null,
      redemptions: 0,
      available: true,
    });
    const before = (await admin.api.get('/api/admin/promo-codes')).body.items.length;
    const future = new Date(Date.now() + DAY).toISOString();
    const bad: [Record<string, unknown>, string][] = [
      [{ code: 'ZERO', credits: 0 }, 'credits'],
      [{ code: 'NEG', credits: -1 }, 'credits'],
      [{ code: 'FINE', credits: 1.0001 }, 'credits'],
      [{ code: 'PAST', credits: 1, validUntil: new Date(Date.now() - 1000).toISOString() }, 'validUntil'],
      [{ code: 'DAYS', credits: 1, expiresInDays: 0 }, 'expiresInDays'],
      [{ code: 'MAX', credits: 1, maxRedemptions: 0 }, 'maxRedemptions'],
      [{ code: 'a b', credits: 1 }, 'code'],
      [{ code: 'X', credits: 1 }, 'code'],
      [{ code: 'EXTRA', credits: 1, validUntil: future, other: 1 }, 'other'],
    ];
    for (const [body, field] of bad) {
      const r = await admin.api.post('/api/admin/promo-codes', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.error?.code).toBe('validation_error');
      expect(JSON.stringify(r.error)).toContain(field);
    }
    const taken = await admin.api.post('/api/admin/promo-codes', { code: 'Welcome-10', credits: 3 });
    expect(taken.status).toBe(409);
    expect(taken.error?.code).toBe('conflict');
    expect((await admin.api.get('/api/admin/promo-codes')).body.items.length).toBe(before);

    const u = await s.register();
    expect((await u.api.post('/api/admin/promo-codes', { code: 'MINE', credits: 1 })).status).toBe(403);
    expect((await u.api.get('/api/admin/promo-codes')).status).toBe(403);
    expect((await s.api.get('/api/admin/promo-codes')).status).toBe(401);

    const audit = (await admin.api.get('/api/admin/audit')).body.items as { action: string; targetId: string }[];
    expect(audit.filter((e) => e.action === 'promo_code.create').map((e) => e.targetId)).toContain(created.body.promoCode.id);
  });

  it('a user redeems a code once: a promo grant expiring its days after now; unknown 404, twice 409, used up or past validUntil 410', async () => {
    const admin = await s.userWithRole('admin');
    const made = await admin.api.post('/api/admin/promo-codes', { code: 'ONCE-EACH', credits: 20, expiresInDays: 7, maxRedemptions: 2 });
    expect(made.status).toBe(201);
    const u = await s.register();
    await s.grant(u.user.id, 5);

    const t0 = Date.now();
    const r = await u.api.post('/api/credits/redeem', { code: 'once-each' });
    expect(r.status).toBe(201);
    expect(r.body.grant).toMatchObject({ source: 'promo', credits: 20, remaining: 20, expired: 0 });
    const expiresAt = Date.parse(r.body.grant.expiresAt ?? '');
    expect(expiresAt).toBeGreaterThanOrEqual(t0 + 7 * DAY);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 7 * DAY);
    expect(r.body.credits).toEqual({ balance: 25, available: 25 });
    expect((await u.api.get('/api/credits/balance')).body).toMatchObject({ balance: 25, expiringSoon: { credits: 20 } });
    const rows = (await u.api.get('/api/credits/transactions')).body.items as { type: string; amount: number; description: string }[];
    expect(rows[0]).toMatchObject({ type: 'adjustment', amount: 20, description: 'Promo code ONCE-EACH' });
    const grants = (await u.api.get('/api/credits/grants')).body.items as { id: string; source: string }[];
    expect(grants[0]).toMatchObject({ id: r.body.grant.id, source: 'promo' });

    // Twice: 409, nothing written.
    const before = await written(s, u.user.id);
    const again = await u.api.post('/api/credits/redeem', { code: 'ONCE-EACH' });
    expect(again.status).toBe(409);
    expect(again.error?.code).toBe('already_redeemed');
    // Unknown: 404; malformed: 400.
    expect((await u.api.post('/api/credits/redeem', { code: 'NO-SUCH-CODE' })).status).toBe(404);
    expect((await u.api.post('/api/credits/redeem', { code: '' })).status).toBe(400);
    expect((await u.api.post('/api/credits/redeem', {})).status).toBe(400);
    expect((await s.api.post('/api/credits/redeem', { code: 'ONCE-EACH' })).status).toBe(401);

    // Used up: the second account takes the last redemption, a third gets 410.
    const v = await s.register();
    expect((await v.api.post('/api/credits/redeem', { code: 'ONCE-EACH' })).status).toBe(201);
    const w = await s.register();
    const wBefore = await written(s, w.user.id);
    const usedUp = await w.api.post('/api/credits/redeem', { code: 'ONCE-EACH' });
    expect(usedUp.status).toBe(410);
    expect(usedUp.error?.code).toBe('promo_unavailable');
    expect(await written(s, w.user.id)).toEqual(wBefore);

    // Past validUntil: 410 (the code's last moment is set in the past here: time cannot be waited for).
    const late = await admin.api.post('/api/admin/promo-codes', {
      code: 'LATE',
      credits: 1,
      validUntil: new Date(Date.now() + DAY).toISOString(),
    });
    await s.running.core.database.db
      .updateTable('promo_codes')
      .set({ valid_until: Date.now() - 1 })
      .where('id', '=', late.body.promoCode.id)
      .execute();
    const gone = await w.api.post('/api/credits/redeem', { code: 'LATE' });
    expect(gone.status).toBe(410);
    expect(gone.error?.code).toBe('promo_unavailable');
    expect(await written(s, w.user.id)).toEqual(wBefore);
    expect(await written(s, u.user.id)).toEqual(before);

    const listed = (await admin.api.get('/api/admin/promo-codes')).body.items as {
      code: string;
      redemptions: number;
      available: boolean;
    }[];
    expect(listed.find((p) => p.code === 'ONCE-EACH')).toMatchObject({ redemptions: 2, available: false });
    expect(listed.find((p) => p.code === 'LATE')).toMatchObject({ redemptions: 0, available: false });
    expect((await verifyLedger(s.running.core.database.db, s.running.core.ledgerKey)).violations).toEqual([]);
  });

  it('an admin deactivates a code: redeeming it is 410 promo_unavailable, nothing written; reactivated it redeems; audited once per change', async () => {
    const admin = await s.userWithRole('admin');
    const made = await admin.api.post('/api/admin/promo-codes', { code: 'STOP-ME', credits: 4 });
    expect(made.status).toBe(201);
    expect(made.body.promoCode).toMatchObject({ active: true, available: true });
    const id = made.body.promoCode.id as string;
    const first = await s.register();
    expect((await first.api.post('/api/credits/redeem', { code: 'STOP-ME' })).status).toBe(201);

    const off = await admin.api.patch(`/api/admin/promo-codes/${id}`, { active: false });
    expect(off.status).toBe(200);
    expect(off.body.promoCode).toMatchObject({ id, code: 'STOP-ME', active: false, available: false, redemptions: 1 });
    // Again: nothing changes, no second audit entry.
    expect((await admin.api.patch(`/api/admin/promo-codes/${id}`, { active: false })).status).toBe(200);

    const u = await s.register();
    const before = await written(s, u.user.id);
    const refused = await u.api.post('/api/credits/redeem', { code: 'stop-me' });
    expect(refused.status).toBe(410);
    expect(refused.error?.code).toBe('promo_unavailable');
    expect(await written(s, u.user.id)).toEqual(before);
    // The account that redeemed it before keeps its grant, and is still told it redeemed it.
    expect((await first.api.get('/api/credits/balance')).body.balance).toBe(4);
    expect((await first.api.post('/api/credits/redeem', { code: 'STOP-ME' })).error?.code).toBe('already_redeemed');
    const listed = (await admin.api.get('/api/admin/promo-codes?limit=200')).body.items as { id: string; active: boolean }[];
    expect(listed.find((p) => p.id === id)).toMatchObject({ active: false });

    // Bad input and access.
    expect((await admin.api.patch(`/api/admin/promo-codes/${id}`, {})).status).toBe(400);
    expect((await admin.api.patch(`/api/admin/promo-codes/${id}`, { active: 'no' })).status).toBe(400);
    expect((await admin.api.patch(`/api/admin/promo-codes/${id}`, { active: false, code: 'X' })).status).toBe(400);
    expect((await admin.api.patch('/api/admin/promo-codes/promo_nope', { active: false })).status).toBe(404);
    expect((await u.api.patch(`/api/admin/promo-codes/${id}`, { active: true })).status).toBe(403);
    expect((await s.api.patch(`/api/admin/promo-codes/${id}`, { active: true })).status).toBe(401);
    expect(await written(s, u.user.id)).toEqual(before);

    const on = await admin.api.patch(`/api/admin/promo-codes/${id}`, { active: true });
    expect(on.body.promoCode).toMatchObject({ active: true, available: true });
    expect((await u.api.post('/api/credits/redeem', { code: 'STOP-ME' })).status).toBe(201);

    const audit = (await admin.api.get('/api/admin/audit?limit=200')).body.items as { action: string; targetId: string }[];
    const mine = audit.filter((e) => e.targetId === id).map((e) => e.action);
    expect(mine.sort()).toEqual(['promo_code.activate', 'promo_code.create', 'promo_code.deactivate']);
    expect((await verifyLedger(s.running.core.database.db, s.running.core.ledgerKey)).violations).toEqual([]);
  });

  it('the admin list pages newest first by cursor and limit: every code once; a bad cursor or limit is 400', async () => {
    const admin = await s.userWithRole('admin');
    for (let i = 0; i < 5; i++)
      expect((await admin.api.post('/api/admin/promo-codes', { code: `PAGE-${i}`, credits: 1 })).status).toBe(201);
    const all = (await admin.api.get('/api/admin/promo-codes?limit=200')).body;
    expect(all.nextCursor).toBeNull();
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let guard = 0; guard < 100; guard++) {
      const page = await admin.api.get(`/api/admin/promo-codes?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...(page.body.items as { id: string }[]).map((p) => p.id));
      if (!page.body.nextCursor) break;
      cursor = page.body.nextCursor;
    }
    expect(seen).toEqual((all.items as { id: string }[]).map((p) => p.id));
    const made = (all.items as { createdAt: string }[]).map((p) => Date.parse(p.createdAt));
    expect(made).toEqual([...made].sort((a, b) => b - a));
    expect((await admin.api.get('/api/admin/promo-codes?limit=0')).status).toBe(400);
    expect((await admin.api.get('/api/admin/promo-codes?limit=201')).status).toBe(400);
    expect((await admin.api.get('/api/admin/promo-codes?cursor=not-a-cursor')).status).toBe(400);
  });

  it('one account redeeming one code many times at once gets it once', async () => {
    const admin = await s.userWithRole('admin');
    await admin.api.post('/api/admin/promo-codes', { code: 'BURST', credits: 3 });
    const u = await s.register();
    const answers = await Promise.all(Array.from({ length: 8 }, () => u.api.post('/api/credits/redeem', { code: 'BURST' })));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    expect((await u.api.get('/api/credits/balance')).body.balance).toBe(3);
    expect(await written(s, u.user.id)).toMatchObject({ grants: 1, redemptions: 1 });
  });

  it('with an Idempotency-Key, a retry replays the first answer (not already_redeemed); another code under it is 409', async () => {
    const admin = await s.userWithRole('admin');
    await admin.api.post('/api/admin/promo-codes', { code: 'KEYED', credits: 4 });
    await admin.api.post('/api/admin/promo-codes', { code: 'OTHER', credits: 1 });
    const u = await s.register();
    const key = { 'idempotency-key': 'redeem-1' };
    const first = await u.api.post('/api/credits/redeem', { code: 'KEYED' }, key);
    expect(first.status).toBe(201);
    const again = await u.api.post('/api/credits/redeem', { code: 'KEYED' }, key);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    // Many at once under one new key: one redemption, every answer the same.
    await admin.api.post('/api/admin/promo-codes', { code: 'KEYED-BURST', credits: 2 });
    const burst = await Promise.all(
      Array.from({ length: 6 }, () => u.api.post('/api/credits/redeem', { code: 'KEYED-BURST' }, { 'idempotency-key': 'redeem-2' })),
    );
    expect(burst.map((a) => a.status)).toEqual([201, 201, 201, 201, 201, 201]);
    expect(new Set(burst.map((a) => a.body.grant.id)).size).toBe(1);
    const conflict = await u.api.post('/api/credits/redeem', { code: 'OTHER' }, key);
    expect(conflict.status).toBe(409);
    expect(conflict.error?.code).toBe('idempotency_conflict');
    // Without a key a second redemption is still already_redeemed.
    expect((await u.api.post('/api/credits/redeem', { code: 'KEYED' })).error?.code).toBe('already_redeemed');
    expect((await u.api.get('/api/credits/balance')).body.balance).toBe(6);
    expect(await written(s, u.user.id)).toMatchObject({ grants: 2, redemptions: 2 });
  });
});

describe.runIf(await postgresAvailable())('promo codes on two instances of one PostgreSQL', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    a = await startTestServer('postgres');
    b = await startTestServer('postgres', {}, a);
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('the same code redeemed by one account on both instances at once: exactly one wins, every time', async () => {
    const admin = await a.userWithRole('admin');
    for (let round = 0; round < 10; round++) {
      const code = `TWICE-${round}`;
      expect((await admin.api.post('/api/admin/promo-codes', { code, credits: 2 })).status).toBe(201);
      const u = await a.register();
      const [x, y] = await Promise.all([
        a.api.withToken(u.token).post('/api/credits/redeem', { code }),
        b.api.withToken(u.token).post('/api/credits/redeem', { code }),
      ]);
      expect([x.status, y.status].sort()).toEqual([201, 409]);
      expect((x.status === 409 ? x : y).error?.code).toBe('already_redeemed');
      expect(await written(a, u.user.id)).toMatchObject({ grants: 1, redemptions: 1 });
      expect((await b.api.withToken(u.token).get('/api/credits/balance')).body.balance).toBe(2);
    }
    expect((await verifyLedger(a.running.core.database.db, a.running.core.ledgerKey)).violations).toEqual([]);
  });

  it('the same Idempotency-Key on both instances at once: one redemption, both answers the same 201', async () => {
    const admin = await a.userWithRole('admin');
    for (let round = 0; round < 6; round++) {
      const code = `KEYED-TWICE-${round}`;
      expect((await admin.api.post('/api/admin/promo-codes', { code, credits: 2 })).status).toBe(201);
      const u = await a.register();
      const key = { 'idempotency-key': `both-${round}` };
      const [x, y] = await Promise.all([
        a.api.withToken(u.token).post('/api/credits/redeem', { code }, key),
        b.api.withToken(u.token).post('/api/credits/redeem', { code }, key),
      ]);
      expect([x.status, y.status]).toEqual([201, 201]);
      expect(x.body).toEqual(y.body);
      expect(await written(a, u.user.id)).toMatchObject({ grants: 1, redemptions: 1 });
    }
  });

  it('one Idempotency-Key for two codes on both instances at once: one 201, the other 409 idempotency_conflict', async () => {
    const admin = await a.userWithRole('admin');
    for (let round = 0; round < 4; round++) {
      for (const c of ['A', 'B'])
        expect((await admin.api.post('/api/admin/promo-codes', { code: `KEY2-${c}-${round}`, credits: 1 })).status).toBe(201);
      const u = await a.register();
      const key = { 'idempotency-key': `two-codes-${round}` };
      const answers = await Promise.all([
        a.api.withToken(u.token).post('/api/credits/redeem', { code: `KEY2-A-${round}` }, key),
        b.api.withToken(u.token).post('/api/credits/redeem', { code: `KEY2-B-${round}` }, key),
      ]);
      expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
      expect(answers.find((r) => r.status === 409)?.error?.code).toBe('idempotency_conflict');
      expect(await written(a, u.user.id)).toMatchObject({ grants: 1, redemptions: 1 });
    }
  });

  it('many accounts racing for a code of 3 redemptions on both instances: exactly 3 get it', async () => {
    const admin = await a.userWithRole('admin');
    expect((await admin.api.post('/api/admin/promo-codes', { code: 'LAST-THREE', credits: 1, maxRedemptions: 3 })).status).toBe(201);
    const users = await Promise.all(Array.from({ length: 12 }, () => a.register()));
    const answers = await Promise.all(
      users.map((u, i) => (i % 2 === 0 ? a : b).api.withToken(u.token).post('/api/credits/redeem', { code: 'LAST-THREE' })),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((x) => x === 201)).toHaveLength(3);
    expect(statuses.filter((x) => x === 410)).toHaveLength(9);
    const db = a.running.core.database.db;
    const code = await db.selectFrom('promo_codes').selectAll().where('code', '=', 'LAST-THREE').executeTakeFirstOrThrow();
    expect(code.redemptions).toBe(3);
    const redemptions = await db.selectFrom('promo_redemptions').select('user_id').where('code_id', '=', code.id).execute();
    expect(redemptions).toHaveLength(3);
    const promoGrants = await db
      .selectFrom('grants')
      .select('user_id')
      .where('source', '=', 'promo')
      .where(
        'user_id',
        'in',
        users.map((u) => u.user.id),
      )
      .execute();
    expect(promoGrants.map((g) => g.user_id).sort()).toEqual(redemptions.map((r) => r.user_id).sort());
    expect((await verifyLedger(db, a.running.core.ledgerKey)).violations).toEqual([]);
  });
});
