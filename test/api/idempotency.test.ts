/**
 * Duplicates in flight: the same request with the same Idempotency-Key sent many times at
 * once, on every route that moves credits or money. Each duplicate either waits for the
 * first and replays its answer or is 409 `idempotency_conflict` (never another code), and
 * the effect happens once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { type Client, type Res, type TestServer, startTestServer } from '../support/server.js';
import { type VapiStandIn, startVapiStandIn } from '../support/vapi-standin.js';

const SERVICE_KEY = 'service-key-idempotency';

/** Sends `n` copies at once; checks the answers and returns the successful one. */
async function duplicates(n: number, send: () => Promise<Res>): Promise<Res> {
  const answers = await Promise.all(Array.from({ length: n }, send));
  const ok = answers.filter((r) => r.status >= 200 && r.status < 300);
  const others = answers.filter((r) => !(r.status >= 200 && r.status < 300));
  expect(ok.length, JSON.stringify(others.map((r) => r.body))).toBeGreaterThan(0);
  for (const r of others) {
    expect(r.status, r.text).toBe(409);
    expect(r.body.error.code).toBe('idempotency_conflict');
  }
  const first = ok[0] as Res;
  for (const r of ok) {
    expect(r.status).toBe(first.status);
    expect(r.body).toEqual(first.body);
  }
  return first;
}

describe.each(await activeDialects())('an Idempotency-Key sent many times at once on %s', (dialect) => {
  let s: TestServer;
  let real: TestServer;
  let standIn: VapiStandIn;
  beforeAll(async () => {
    standIn = await startVapiStandIn();
    s = await startTestServer(dialect, { SERVICE_API_KEY: SERVICE_KEY, VAPI_WEBHOOK_SECRET: 'x' });
    real = await startTestServer(dialect, {
      VAPI_WEBHOOK_SECRET: 'x',
      VAPI_API_KEY: 'vapi-key',
      VAPI_API_BASE: standIn.url,
      VAPI_PHONE_NUMBER_ID: 'pn-1',
    });
  });
  afterAll(async () => {
    await s?.stop();
    await real?.stop();
    await standIn?.close();
  });

  const balance = async (api: Client) => (await api.get('/api/credits/balance')).body;

  it('starts one call through a slow VAPI', async () => {
    standIn.delayMs = 300;
    try {
      const u = await real.register();
      await real.grant(u.user.id, 20);
      const before = standIn.requests.filter((r) => r.path === '/call').length;
      const r = await duplicates(10, () =>
        u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567' }, { 'idempotency-key': 'call-dup' }),
      );
      expect(r.status).toBe(201);
      expect(standIn.requests.filter((x) => x.path === '/call').length - before).toBe(1);
      expect(await balance(u.api)).toMatchObject({ balance: 19, reserved: 5 });
    } finally {
      standIn.delayMs = 0;
    }
  });

  it('starts one call when the duplicates reach two instances of one database', async () => {
    const other = await startTestServer(dialect, real.env, real);
    standIn.delayMs = 300;
    try {
      const u = await real.register();
      await real.grant(u.user.id, 20);
      const before = standIn.requests.filter((r) => r.path === '/call').length;
      const apis = [u.api, other.api.withToken(u.token)];
      let i = 0;
      const r = await duplicates(10, () =>
        (apis[i++ % 2] as Client).post('/api/vapi/calls', { phoneNumber: '+15551234567' }, { 'idempotency-key': 'call-two' }),
      );
      expect(r.status).toBe(201);
      expect(standIn.requests.filter((x) => x.path === '/call').length - before).toBe(1);
      expect(await balance(u.api)).toMatchObject({ balance: 19, reserved: 5 });
      await duplicates(10, () => (apis[i++ % 2] as Client).post('/api/messages', { to: 'x', body: 'y' }, { 'idempotency-key': 'm-two' }));
      expect((await balance(u.api)).balance).toBe(18.9);
    } finally {
      standIn.delayMs = 0;
      await other.stop();
    }
  });

  it('starts one simulated call', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 20);
    const r = await duplicates(10, () => u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567' }, { 'idempotency-key': 'call-sim' }));
    expect(r.status).toBe(201);
    expect(await balance(u.api)).toMatchObject({ balance: 19, reserved: 5 });
  });

  it('charges one message, one workflow run, one upload and one service usage', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 20);
    await duplicates(10, () => u.api.post('/api/messages', { to: 'x', body: 'y' }, { 'idempotency-key': 'm' }));
    await duplicates(10, () => u.api.post('/api/workflows/wf-1/execute', { input: { a: 1 } }, { 'idempotency-key': 'w' }));
    await duplicates(10, () => {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(1024 * 1024)]), 'cv.pdf');
      return u.api.request('POST', '/api/files', { raw: form, headers: { 'idempotency-key': 'f' } });
    });
    await duplicates(10, () =>
      s.api.post(
        '/api/usage',
        { userId: u.user.id, operation: 'message', unit: 'per_message', quantity: 1, idempotencyKey: 'svc' },
        { 'x-service-key': SERVICE_KEY },
      ),
    );
    // 0.1 + 0.75 + 0.25 + 0.1
    expect((await balance(u.api)).balance).toBe(18.8);
  });

  it('buys one package, and makes one adjustment and one refund', async () => {
    const u = await s.register();
    const bought = await duplicates(10, () =>
      u.api.post('/api/credits/purchase', { packageId: 'pkg_starter' }, { 'idempotency-key': 'buy' }),
    );
    expect((await balance(u.api)).balance).toBe(100);
    const admin = await s.userWithRole('admin');
    await duplicates(10, () =>
      admin.api.post(`/api/admin/users/${u.user.id}/adjustments`, { amount: 5, reason: 'goodwill' }, { 'idempotency-key': 'adj' }),
    );
    expect((await balance(u.api)).balance).toBe(105);
    await duplicates(10, () =>
      admin.api.post(`/api/admin/payments/${bought.body.payment.id}/refund`, { amountCents: 500 }, { 'idempotency-key': 'refund' }),
    );
    // Half of the $10.00 package refunded: half of its 100 credits taken back, once.
    expect((await balance(u.api)).balance).toBe(55);
  });
});
