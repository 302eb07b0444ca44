import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { activeDialects } from '../support/db.js';
import { until } from '../support/poll.js';
import { type TestServer, startTestServer } from '../support/server.js';

describe.each(await activeDialects())('credits of the signed-in user on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('buys a package with the simulated provider, credits and bonus before the answer', async () => {
    const u = await s.register();
    const r = await u.api.post('/api/credits/purchase', { packageId: 'pkg_professional' }, { 'idempotency-key': 'buy-1' });
    expect(r.status).toBe(201);
    expect(r.body.payment).toMatchObject({ status: 'succeeded', provider: 'simulated', amountCents: 4500, currency: 'usd', credits: 550 });
    const again = await u.api.post('/api/credits/purchase', { packageId: 'pkg_professional' }, { 'idempotency-key': 'buy-1' });
    expect(again.body).toEqual(r.body);
    expect((await u.api.get('/api/credits/balance')).body).toMatchObject({
      balance: 550,
      available: 550,
      lifetimePurchased: 550,
      unlimited: false,
    });
    const tx = await u.api.get('/api/credits/transactions');
    expect(tx.body.items.map((t) => [t.type, t.amount])).toEqual([
      ['bonus', 50],
      ['purchase', 500],
    ]);
    const payments = await u.api.get('/api/credits/payments');
    expect(payments.body.items).toHaveLength(1);
    expect(payments.body.items[0]).toMatchObject({ packageId: 'pkg_professional', status: 'succeeded', credits: 550 });
    const alerts = await u.api.get('/api/credits/alerts');
    expect(alerts.body.items.map((a) => a.type)).toContain('purchase_succeeded');
    expect((await u.api.post('/api/credits/purchase', { packageId: 'nope' })).status).toBe(404);
  });

  it('pages transactions newest first with signed cursors and filters', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 10);
    for (let i = 0; i < 7; i++) expect((await u.api.post('/api/messages', { to: 'x', body: `m${i}` })).status).toBe(201);
    const p1 = await u.api.get('/api/credits/transactions?limit=3');
    expect(p1.body.items).toHaveLength(3);
    expect(p1.body.items[0]?.balanceAfter).toBe(9.3);
    const p2 = await u.api.get(`/api/credits/transactions?limit=3&cursor=${encodeURIComponent(p1.body.nextCursor ?? '')}`);
    expect(p2.body.items[0]?.balanceAfter).toBe(9.6);
    const p3 = await u.api.get(`/api/credits/transactions?limit=3&cursor=${encodeURIComponent(p2.body.nextCursor ?? '')}`);
    expect(p3.body.items).toHaveLength(2);
    expect(p3.body.nextCursor).toBeNull();
    const usage = await u.api.get('/api/credits/transactions?type=usage&limit=200');
    expect(usage.body.items).toHaveLength(7);
    expect((await u.api.get('/api/credits/transactions?cursor=forged.cursor')).status).toBe(400);
    expect((await u.api.get('/api/credits/transactions?limit=201')).status).toBe(400);
    expect((await u.api.get('/api/credits/transactions?limit=0')).status).toBe(400);
    expect((await u.api.get('/api/credits/transactions?from=yesterday')).status).toBe(400);
    expect((await u.api.get('/api/credits/transactions?type=gift')).status).toBe(400);
    const future = await u.api.get('/api/credits/transactions?from=2999-01-01');
    expect(future.body.items).toEqual([]);
  });

  it("refuses another list's cursor (400), never misreading it as a position of this one", async () => {
    const u = await s.register();
    for (let i = 0; i < 2; i++) expect((await u.api.post('/api/credits/purchase', { packageId: 'pkg_starter' })).status).toBe(201);
    const cursorOf = async (path: string) => {
      const page = await u.api.request('GET', `${path}?limit=1`);
      expect(page.status).toBe(200);
      // A real cursor (an empty one would be refused whatever the list).
      expect(page.body.nextCursor).toEqual(expect.any(String));
      return encodeURIComponent(page.body.nextCursor);
    };
    const payments = await cursorOf('/api/credits/payments');
    const transactions = await cursorOf('/api/credits/transactions');
    const alerts = await cursorOf('/api/credits/alerts');
    // Until 6 December a payments cursor was 500 on PostgreSQL here and an empty last page on SQLite.
    for (const [path, cursor] of [
      ['/api/credits/transactions', payments],
      ['/api/credits/transactions', alerts],
      ['/api/credits/payments', transactions],
      ['/api/credits/alerts', payments],
      ['/api/credits/grants', alerts],
    ]) {
      const r = await u.api.request('GET', `${path}?cursor=${cursor}`);
      expect([path, r.status, r.body.error?.code]).toEqual([path, 400, 'validation_error']);
    }
    expect((await u.api.get(`/api/credits/payments?limit=1&cursor=${payments}`)).body.items).toHaveLength(1);
  });

  it('exports every row as CSV with spreadsheet formulas neutralised', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 100);
    await s.running.core.ledger.grant(u.user.id, 1000, 'adjustment', { description: '=HYPERLINK("http://evil","x")' });
    for (let i = 0; i < 3; i++) await u.api.post('/api/messages', { to: 'x', body: 'y' });
    const r = await u.api.get('/api/credits/transactions.csv');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = r.text.trim().split('\n');
    expect(lines[0]).toBe('id,createdAt,type,amount,reservedChange,balanceAfter,description,metadata,memberId');
    expect(lines).toHaveLength(6);
    expect(r.text).toContain(`"'=HYPERLINK(""http://evil"",""x"")"`);
    expect(r.text).toContain(',usage,-0.1,0,');
    const onlyUsage = await u.api.get('/api/credits/transactions.csv?type=usage');
    expect(onlyUsage.text.trim().split('\n')).toHaveLength(4);
  });

  it('neutralises text cells that a spreadsheet would run, and keeps numbers plain', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 100);
    const texts = ['-0.1', '+1', '@SUM(A1)', '\tx', '\rx', '=1+2'];
    for (const d of texts) await s.running.core.ledger.grant(u.user.id, 1000, 'adjustment', { description: d });
    await u.api.post('/api/messages', { to: 'x', body: 'y' });
    const csv = (await u.api.get('/api/credits/transactions.csv')).text;
    // Every text cell that starts with = + - @, a tab or a carriage return gets a leading '.
    for (const d of texts) expect(csv).toContain(`'${d}`);
    expect(csv).toContain(",'-0.1,"); // the description "-0.1" is text, not left to look like a number
    // Amounts stay plain numbers, negative ones too.
    expect(csv).toContain(',usage,-0.1,0,');
  });

  it('reads a date-only `to` as the whole of that day (UTC), in every range filter', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 10);
    await u.api.post('/api/messages', { to: 'x', body: 'y' });
    const charge = (await u.api.get('/api/credits/transactions?type=usage')).body.items[0]!;
    const day = (charge.createdAt as string).slice(0, 10);
    const next = new Date(Date.parse(day) + 86_400_000).toISOString().slice(0, 10);
    const prev = new Date(Date.parse(day) - 86_400_000).toISOString().slice(0, 10);
    const ids = async (q: string) => (await u.api.get(`/api/credits/transactions?type=usage&${q}`)).body.items.map((t) => t.id);
    expect(await ids(`from=${day}&to=${day}`)).toEqual([charge.id]);
    expect(await ids(`to=${day}`)).toEqual([charge.id]);
    expect(await ids(`to=${prev}`)).toEqual([]);
    expect(await ids(`from=${next}`)).toEqual([]);
    // A date-time `to` is exclusive.
    expect(await ids(`to=${encodeURIComponent(charge.createdAt)}`)).toEqual([]);
    expect(await ids(`to=${encodeURIComponent(new Date(Date.parse(charge.createdAt) + 1).toISOString())}`)).toEqual([charge.id]);
    const csv = await u.api.get(`/api/credits/transactions.csv?type=usage&from=${day}&to=${day}`);
    expect(csv.text.trim().split('\n')).toHaveLength(2);
    const usage = await u.api.get(`/api/credits/usage?from=${day}&to=${day}`);
    expect(usage.body).toMatchObject({ totalCredits: 0.1, totalOperations: 1 });
    expect(usage.body.series).toEqual([{ bucket: `${day}T00:00:00.000Z`, credits: 0.1, operations: 1, byOperation: { message: 0.1 } }]);
    const admin = await s.userWithRole('admin');
    const analytics = await admin.api.get(`/api/admin/analytics?from=${day}&to=${day}`);
    expect(analytics.body.creditsUsed).toBeGreaterThanOrEqual(0.1);
    expect(analytics.body.series).toHaveLength(1);
    expect((await admin.api.get(`/api/admin/analytics?from=${next}&to=${next}`)).body.creditsUsed).toBe(0);
  });

  it('reports usage by day and hour from the rollups', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 10);
    await u.api.post('/api/messages', { to: 'x', body: 'a' });
    await u.api.post('/api/messages', { to: 'x', body: 'b' });
    const day = await u.api.get('/api/credits/usage');
    expect(day.status).toBe(200);
    expect(day.body).toMatchObject({ totalCredits: 0.2, totalOperations: 2, granularity: 'day' });
    expect(day.body.series).toHaveLength(30);
    expect(day.body.byOperation).toEqual([{ operation: 'message', unit: 'per_message', credits: 0.2, operations: 2, quantity: 2 }]);
    const now = new Date();
    const from = new Date(now.getTime() - 3 * 3600_000).toISOString();
    const hour = await u.api.get(`/api/credits/usage?granularity=hour&from=${from}`);
    expect(hour.body.series.length).toBeGreaterThanOrEqual(3);
    expect(hour.body.series.at(-1)?.credits).toBe(0.2);
    // Each bucket split by operation (for the chart), empty buckets with nothing in it.
    expect(hour.body.series.at(-1)?.byOperation).toEqual({ message: 0.2 });
    await u.api.post('/api/workflows/screen/execute', {});
    const split = (await u.api.get(`/api/credits/usage?granularity=hour&from=${from}`)).body.series.at(-1)!;
    expect(Object.keys(split.byOperation).sort()).toEqual(['message', 'workflow']);
    expect((split.byOperation.message ?? 0) + (split.byOperation.workflow ?? 0)).toBeCloseTo(split.credits, 3);
    expect(hour.body.series[0]?.byOperation).toEqual({});
    expect((await u.api.get('/api/credits/usage?granularity=minute')).status).toBe(400);
    expect((await u.api.get('/api/credits/usage?from=2025-02-01&to=2025-01-01')).status).toBe(400);
    expect((await u.api.get('/api/credits/usage?granularity=hour&from=2020-01-01&to=2025-01-01')).status).toBe(400);
  });

  it('stores settings, validates auto-recharge, and alerts once per low-balance crossing', async () => {
    const u = await s.register();
    const initial = await u.api.get('/api/credits/settings');
    expect(initial.body).toEqual({ lowBalanceThreshold: 10, autoRecharge: { enabled: false, thresholdCredits: null, packageId: null } });
    expect((await u.api.put('/api/credits/settings', { autoRecharge: { enabled: true } })).status).toBe(400);
    expect(
      (await u.api.put('/api/credits/settings', { autoRecharge: { enabled: true, thresholdCredits: 5, packageId: 'nope' } })).status,
    ).toBe(400);
    expect((await u.api.put('/api/credits/settings', { lowBalanceThreshold: -1 })).status).toBe(400);
    expect((await u.api.put('/api/credits/settings', { lowBalanceThreshold: 0.0001 })).status).toBe(400);
    const ok = await u.api.put('/api/credits/settings', {
      lowBalanceThreshold: 1,
      autoRecharge: { enabled: true, thresholdCredits: 2, packageId: 'pkg_starter' },
    });
    expect(ok.body).toEqual({ lowBalanceThreshold: 1, autoRecharge: { enabled: true, thresholdCredits: 2, packageId: 'pkg_starter' } });
    const off = await u.api.put('/api/credits/settings', { autoRecharge: { enabled: false } });
    expect(off.body.autoRecharge).toEqual({ enabled: false, thresholdCredits: 2, packageId: 'pkg_starter' });

    await s.grant(u.user.id, 1.25);
    const msgs = await Promise.all(Array.from({ length: 5 }, () => u.api.post('/api/messages', { to: 'x', body: 'y' })));
    expect(msgs.every((m) => m.status === 201)).toBe(true);
    const lows = await until('a low-balance alert', async () => {
      const r = await u.api.get('/api/credits/alerts');
      return r.body.items.some((a) => a.type === 'low_balance') && r;
    });
    expect(lows.body.items.filter((a) => a.type === 'low_balance')).toHaveLength(1);
    await u.api.post('/api/messages', { to: 'x', body: 'y' });
    await s.running.core.writer.drain();
    await s.running.core.writer.drain();
    const still = await u.api.get('/api/credits/alerts');
    expect(still.body.items.filter((a) => a.type === 'low_balance')).toHaveLength(1);
    // Up above the threshold, then down again: a second crossing, a second alert.
    await s.grant(u.user.id, 5);
    await until('the low-balance alert re-armed above the threshold', async () => {
      const row = await s.running.core.database.db
        .selectFrom('user_settings')
        .select('below_threshold')
        .where('user_id', '=', u.user.id)
        .executeTakeFirst();
      return row?.below_threshold === 0;
    });
    for (let i = 0; i < 52; i++) await u.api.post('/api/messages', { to: 'x', body: 'y' });
    const twice = await until('a second low-balance alert', async () => {
      const r = await u.api.get('/api/credits/alerts?limit=200');
      return r.body.items.filter((a) => a.type === 'low_balance').length === 2 && r;
    });
    expect(twice.body.items.filter((a) => a.type === 'low_balance')).toHaveLength(2);
    expect(twice.body.unread).toBeGreaterThanOrEqual(2);
    const id = twice.body.items[0]!.id;
    const other = await s.register();
    expect((await other.api.post(`/api/credits/alerts/${id}/read`)).status).toBe(404);
    expect((await u.api.post(`/api/credits/alerts/${id}/read`)).status).toBe(200);
    const after = await u.api.get('/api/credits/alerts?limit=200');
    expect(after.body.unread).toBe(twice.body.unread - 1);
  });

  it('streams the balance on connect and on every change', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 1);
    const ctrl = new AbortController();
    const res = await fetch(`${s.url}/api/credits/stream`, { headers: { authorization: `Bearer ${u.token}` }, signal: ctrl.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const dec = new TextDecoder();
    let buf = '';
    const nextEvent = async () => {
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
    expect(await nextEvent()).toMatchObject({ balance: 1, available: 1 });
    await u.api.post('/api/messages', { to: 'x', body: 'y' });
    expect(await nextEvent()).toMatchObject({ balance: 0.9, available: 0.9 });
    ctrl.abort();
    expect((await fetch(`${s.url}/api/credits/stream`)).status).toBe(401);
  });

  it('leaves the ledger verifiable', async () => {
    expect((await verifyLedger(s.running.core.database.db, s.running.core.ledgerKey)).violations).toEqual([]);
  });
});
