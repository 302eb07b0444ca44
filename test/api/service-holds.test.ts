/**
 * Holds of the service API: create (402 when unaffordable), capture at most the held
 * credits, release, extend, the sweeper releasing expired holds, and the 409s of a hold
 * that is no longer held; parallel captures of one hold: one wins.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { type Client, type TestServer, startTestServer } from '../support/server.js';

describe.each(await activeDialects())('service API holds on %s', (dialect) => {
  let s: TestServer;
  let svc: Client;
  let n = 0;
  let key = '';

  async function customer(credits: number) {
    const externalId = `hold-cust-${++n}-${Math.random().toString(36).slice(2, 8)}`;
    const r = await svc.put(`/api/v1/customers/${externalId}`, {});
    if (credits > 0) await s.grant(r.body.customer.accountId, credits);
    return { externalId, accountId: r.body.customer.accountId as string };
  }
  const balance = async (externalId: string) =>
    (await svc.call('GET /api/v1/customers/:externalId/balance', { params: { externalId } })).body;
  // ai_interview/per_minute is 1 credit a minute: 600 s hold 10 credits.
  const hold = (customer: string, extra: Record<string, unknown> = {}) =>
    svc.post('/api/v1/holds', { customer, operation: 'ai_interview', unit: 'per_minute', quantity: 600, ...extra });

  beforeAll(async () => {
    s = await startTestServer(dialect, { HOLD_SWEEP_SECONDS: '1' });
    const admin = await s.userWithRole('admin');
    const r = await admin.api.call('POST /api/admin/api-keys', { body: { name: 'Holds' } });
    key = r.body.key;
    svc = s.api.withToken(key);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('a capture sent to two instances at once with one Idempotency-Key captures once, and both answer it', async () => {
    const other = await startTestServer(dialect, { HOLD_SWEEP_SECONDS: '1' }, s);
    try {
      const there = other.api.withToken(key);
      for (let round = 0; round < 6; round++) {
        const c = await customer(25);
        const h = await hold(c.externalId);
        const headers = { 'idempotency-key': `cap-${c.externalId}` };
        const path = `/api/v1/holds/${h.body.hold.id}/capture`;
        const [a, b] = await Promise.all([
          svc.request('POST', path, { body: { quantity: 300 }, headers }),
          there.request('POST', path, { body: { quantity: 300 }, headers }),
        ]);
        // Until 6 December on PostgreSQL the later one was 409 conflict "This hold is already settled.".
        expect([a.status, b.status], `${a.text} ${b.text}`).toEqual([200, 200]);
        expect(a.body).toEqual(b.body);
        expect(await balance(c.externalId)).toMatchObject({ balance: 20, reserved: 0 });
      }
    } finally {
      await other.stop();
    }
  });

  it('holds, captures at most the held credits and releases the rest', async () => {
    const c = await customer(25);
    const h = await hold(c.externalId);
    expect(h.status).toBe(201);
    expect(h.body.hold).toMatchObject({ status: 'held', credits: 10 });
    expect(Date.parse(h.body.hold.expiresAt) - Date.now()).toBeGreaterThan(890_000);
    expect(h.body.credits).toEqual({ reserved: 10, available: 15 });
    // 420 s used: 7 credits charged, 3 released.
    const cap = await svc.post(`/api/v1/holds/${h.body.hold.id}/capture`, { quantity: 420, metadata: { interviewId: 'int_41' } });
    expect(cap.status).toBe(200);
    expect(cap.body).toEqual({
      hold: { id: h.body.hold.id, status: 'captured', credits: 7, heldCredits: 10 },
      credits: { charged: 7, balance: 18, available: 18 },
    });
    expect(await balance(c.externalId)).toMatchObject({ balance: 18, reserved: 0, available: 18 });
    const tx = await s.running.core.database.db
      .selectFrom('credit_transactions')
      .select(['metadata', 'amount_mc'])
      .where('user_id', '=', c.accountId)
      .where('type', '=', 'usage')
      .executeTakeFirstOrThrow();
    expect(tx.amount_mc).toBe(-7000);
    expect(JSON.parse(tx.metadata as string)).toMatchObject({
      interviewId: 'int_41',
      operation: 'ai_interview',
      quantity: 420,
      holdId: h.body.hold.id,
    });

    // More than held: charged the hold, never beyond.
    const h2 = await hold(c.externalId);
    const over = await svc.post(`/api/v1/holds/${h2.body.hold.id}/capture`, { quantity: 6000 });
    expect(over.body.hold).toMatchObject({ credits: 10, heldCredits: 10 });
    expect(await balance(c.externalId)).toMatchObject({ balance: 8, reserved: 0 });
  });

  it('answers 402 when the hold cannot be afforded, 404 for an unknown customer or hold, 400 for a ttl beyond a day', async () => {
    const c = await customer(5);
    const short = await hold(c.externalId);
    expect(short.status).toBe(402);
    expect(short.error).toMatchObject({ code: 'insufficient_credits', details: { required: 10, available: 5 } });
    expect(await balance(c.externalId)).toMatchObject({ reserved: 0, available: 5 });
    expect((await hold('never-made')).status).toBe(404);
    for (const verb of ['capture', 'release', 'extend']) {
      const r = await svc.post(
        `/api/v1/holds/no-such-hold/${verb}`,
        verb === 'capture' ? { quantity: 1 } : verb === 'extend' ? { ttlSeconds: 60 } : {},
      );
      expect(r.status, verb).toBe(404);
    }
    expect((await hold(c.externalId, { quantity: 1, ttlSeconds: 86_401 })).status).toBe(400);
    expect((await hold(c.externalId, { quantity: 1, ttlSeconds: 0 })).status).toBe(400);
  });

  it('refuses a second capture, a capture after release, and a release after capture (409)', async () => {
    const c = await customer(30);
    const a = await hold(c.externalId);
    expect((await svc.post(`/api/v1/holds/${a.body.hold.id}/capture`, { quantity: 60 })).status).toBe(200);
    const second = await svc.post(`/api/v1/holds/${a.body.hold.id}/capture`, { quantity: 60 });
    expect(second.status).toBe(409);
    expect(second.error?.code).toBe('conflict');
    expect((await svc.post(`/api/v1/holds/${a.body.hold.id}/release`, {})).status).toBe(409);

    const b = await hold(c.externalId);
    const rel = await svc.post(`/api/v1/holds/${b.body.hold.id}/release`, {});
    expect(rel.status).toBe(200);
    expect(rel.body).toEqual({ hold: { id: b.body.hold.id, status: 'released' } });
    expect((await svc.post(`/api/v1/holds/${b.body.hold.id}/release`, {})).body.hold.status).toBe('released');
    const late = await svc.post(`/api/v1/holds/${b.body.hold.id}/capture`, { quantity: 60 });
    expect(late.status).toBe(409);
    expect(late.error?.code).toBe('conflict');
    expect((await svc.post(`/api/v1/holds/${b.body.hold.id}/extend`, { ttlSeconds: 60 })).status).toBe(409);
    expect(await balance(c.externalId)).toMatchObject({ balance: 29, reserved: 0 });
  });

  it('lets one of many parallel captures of a hold win', async () => {
    const c = await customer(20);
    const h = await hold(c.externalId);
    const rs = await Promise.all(Array.from({ length: 6 }, () => svc.post(`/api/v1/holds/${h.body.hold.id}/capture`, { quantity: 300 })));
    expect(rs.filter((r) => r.status === 200)).toHaveLength(1);
    expect(rs.filter((r) => r.status === 409)).toHaveLength(5);
    expect(await balance(c.externalId)).toMatchObject({ balance: 15, reserved: 0 });
  });

  it('replays a hold and a capture under their Idempotency-Key', async () => {
    const c = await customer(20);
    const first = await hold(c.externalId).then(() =>
      svc.post(
        '/api/v1/holds',
        { customer: c.externalId, operation: 'ai_interview', unit: 'per_minute', quantity: 60 },
        { 'idempotency-key': 'h-1' },
      ),
    );
    const again = await svc.post(
      '/api/v1/holds',
      { customer: c.externalId, operation: 'ai_interview', unit: 'per_minute', quantity: 60 },
      { 'idempotency-key': 'h-1' },
    );
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    const cap = await svc.post(`/api/v1/holds/${first.body.hold.id}/capture`, { quantity: 30 }, { 'idempotency-key': 'c-1' });
    const capAgain = await svc.post(`/api/v1/holds/${first.body.hold.id}/capture`, { quantity: 30 }, { 'idempotency-key': 'c-1' });
    expect(capAgain.status).toBe(200);
    expect(capAgain.body).toEqual(cap.body);
    expect(await balance(c.externalId)).toMatchObject({ balance: 19.5, reserved: 10 });
  });

  it('extends a held hold, and the sweeper releases an expired one, after which nothing can settle or extend it', async () => {
    const c = await customer(20);
    const h = await hold(c.externalId, { ttlSeconds: 1 });
    expect(h.status).toBe(201);
    const ext = await svc.post(`/api/v1/holds/${h.body.hold.id}/extend`, { ttlSeconds: 3600 });
    expect(ext.status).toBe(200);
    expect(ext.body.hold.status).toBe('held');
    expect(Date.parse(ext.body.hold.expiresAt) - Date.now()).toBeGreaterThan(3_590_000);

    const e = await hold(c.externalId, { ttlSeconds: 1 });
    // The sweeper runs every second here (HOLD_SWEEP_SECONDS=1): the hold is released, nothing charged.
    await waitFor(async () => (await balance(c.externalId)).reserved === 10, 10_000);
    expect(await balance(c.externalId)).toMatchObject({ balance: 20, reserved: 10, available: 10 });
    const row = await s.running.core.database.db
      .selectFrom('reservations')
      .select('status')
      .where('id', '=', e.body.hold.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('expired');
    const cap = await svc.post(`/api/v1/holds/${e.body.hold.id}/capture`, { quantity: 1 });
    expect(cap.status).toBe(409);
    expect(cap.error?.code).toBe('conflict');
    expect((await svc.post(`/api/v1/holds/${e.body.hold.id}/extend`, { ttlSeconds: 60 })).status).toBe(409);
    expect((await svc.post(`/api/v1/holds/${e.body.hold.id}/release`, {})).body.hold.status).toBe('expired');
    // The extended hold is still held.
    expect((await svc.post(`/api/v1/holds/${h.body.hold.id}/capture`, { quantity: 60 })).status).toBe(200);
  });

  it('takes an empty body sent as application/json as no body: a release is 200, a capture still needs its quantity', async () => {
    const c = await customer(25);
    const emptyJson = (path: string) =>
      fetch(`${s.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: '',
      });
    const h = await hold(c.externalId);
    const capture = await emptyJson(`/api/v1/holds/${h.body.hold.id}/capture`);
    expect(capture.status).toBe(400);
    expect(((await capture.json()) as { error: { code: string } }).error.code).toBe('validation_error');
    expect(await balance(c.externalId)).toMatchObject({ balance: 25, reserved: 10 });
    const release = await emptyJson(`/api/v1/holds/${h.body.hold.id}/release`);
    expect(release.status).toBe(200);
    expect(await release.json()).toEqual({ hold: { id: h.body.hold.id, status: 'released' } });
    expect(await balance(c.externalId)).toMatchObject({ balance: 25, reserved: 0, available: 25 });
  });
});

/** Polls `check` until it holds (every 25 ms), failing after `ms`. */
async function waitFor(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
