import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepCalls } from '../../src/core/calls/sweep-calls.js';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer, having } from '../support/server.js';
import { type VapiStandIn, startVapiStandIn } from '../support/vapi-standin.js';

const SECRET = 'vapi-webhook-secret';

function report(callId: string, startedAt: string, endedAt: string) {
  return { message: { type: 'end-of-call-report', call: { id: callId }, startedAt, endedAt } };
}

describe.each(await activeDialects())('platform routes on %s', (dialect) => {
  let s: TestServer;
  let real: TestServer;
  let standIn: VapiStandIn;
  beforeAll(async () => {
    standIn = await startVapiStandIn();
    s = await startTestServer(dialect, { VAPI_WEBHOOK_SECRET: SECRET, SERVICE_API_KEY: 'service-key-123', MAX_UPLOAD_MB: '2' });
    real = await startTestServer(dialect, {
      VAPI_WEBHOOK_SECRET: SECRET,
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

  it('starts a call (per-call charge, per-minute hold) and settles it once from the webhook', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 10);
    const start = await u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567' });
    expect(start.status).toBe(201);
    expect(start.body.call).toMatchObject({ maxDurationSeconds: 600 });
    expect(start.body.credits).toMatchObject({ charged: 1, reserved: 5, balance: 9, available: 4 });
    const id = start.body.call.id;
    const hook = (body: unknown, secret = SECRET) => s.api.post('/api/vapi/webhook', body, { 'x-vapi-secret': secret });
    expect((await hook(report(id, '2026-01-01T00:00:00.000Z', '2026-01-01T00:01:01.000Z'), 'wrong')).status).toBe(401);
    expect((await s.api.post('/api/vapi/webhook', report(id, '2026-01-01T00:00:00Z', '2026-01-01T00:01:01Z'))).status).toBe(401);
    const first = await hook(report(id, '2026-01-01T00:00:00.000Z', '2026-01-01T00:01:01.000Z'));
    expect(first.body).toEqual({ received: true, settled: true });
    // 61 s at 0.50 per minute = 0.509 credits; the rest of the hold is released.
    expect((await u.api.get('/api/credits/balance')).body).toMatchObject({ balance: 8.491, reserved: 0, available: 8.491 });
    const again = await hook(report(id, '2026-01-01T00:00:00.000Z', '2026-01-01T00:09:00.000Z'));
    expect(again.body).toEqual({ received: true, settled: false });
    expect((await u.api.get('/api/credits/balance')).body.balance).toBe(8.491);
    expect((await hook({ message: { type: 'status-update', call: { id } } })).status).toBe(200);
    expect((await hook(report('unknown-call', '2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z'))).body.settled).toBe(false);
    const manual = await u.api.post(`/api/vapi/calls/${id}/end`, { durationSeconds: 30 });
    expect(having(manual.body, 'settled').settled).toBe(false);
  });

  it('lowers the hold to what the caller can afford, and refuses below one minute charging nothing', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 2);
    const start = await u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 600 });
    expect(start.status).toBe(201);
    // After the 1-credit start, 1 credit buys 120 s at 0.5 per minute.
    expect(start.body.call.maxDurationSeconds).toBe(120);
    expect(start.body.credits).toMatchObject({ charged: 1, reserved: 1, available: 0 });
    const poor = await s.register();
    await s.grant(poor.user.id, 1.4);
    const refused = await poor.api.post('/api/vapi/calls', { phoneNumber: '+15551234567' });
    expect(refused.status).toBe(402);
    expect(refused.error?.details).toEqual({ required: 1.5, available: 1.4 });
    expect((await poor.api.get('/api/credits/balance')).body).toMatchObject({ balance: 1.4, reserved: 0 });
    expect((await u.api.post('/api/vapi/calls', { phoneNumber: '5551234' })).status).toBe(400);
  });

  it('ends a call by hand (owner only) and settles calls whose report never came', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 10);
    const a = (await u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567' })).body.call.id;
    const other = await s.register();
    expect((await other.api.post(`/api/vapi/calls/${a}/end`, { durationSeconds: 10 })).status).toBe(404);
    const end = await u.api.post(`/api/vapi/calls/${a}/end`, { durationSeconds: 90.5 });
    expect(end.status).toBe(200);
    expect(end.body).toMatchObject({ settled: true, credits: { charged: 0.755 } });
    const b = (await u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 120 })).body.call.id;
    const core = s.running.core;
    // Pretend the call started long ago: the sweeper charges the whole hold.
    await core.database.db
      .updateTable('vapi_calls')
      .set({ created_at: Date.now() - 3_600_000 })
      .where('vapi_id', '=', b)
      .execute();
    expect((await sweepCalls(core, s.running.services.vapi!, { graceSeconds: 300, providerTimeoutMs: 10_000 })).settled).toBe(1);
    const row = await core.database.db.selectFrom('vapi_calls').selectAll().where('vapi_id', '=', b).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'ended', duration_ms: 120_000 });
    expect((await u.api.get('/api/credits/balance')).body).toMatchObject({ reserved: 0, balance: 6.245 });
  });

  it('starts calls through the VAPI API when configured, and gives everything back when VAPI fails', async () => {
    const u = await real.register();
    await real.grant(u.user.id, 10);
    const ok = await u.api.post(
      '/api/vapi/calls',
      { phoneNumber: '+15557654321', assistantId: 'asst-1', maxDurationSeconds: 300 },
      { 'idempotency-key': 'call-1' },
    );
    expect(ok.status).toBe(201);
    expect(ok.body.call.id).toMatch(/^vapi-call-/);
    const sent = standIn.requests.find((r) => r.method === 'POST');
    expect(sent?.auth).toBe('Bearer vapi-key');
    expect(sent?.body).toMatchObject({
      assistantId: 'asst-1',
      phoneNumberId: 'pn-1',
      customer: { number: '+15557654321' },
      assistantOverrides: { maxDurationSeconds: 300 },
    });
    const replay = await u.api.post(
      '/api/vapi/calls',
      { phoneNumber: '+15557654321', assistantId: 'asst-1', maxDurationSeconds: 300 },
      { 'idempotency-key': 'call-1' },
    );
    expect(replay.body).toEqual(ok.body);
    expect(standIn.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    standIn.failNext = 1;
    const failed = await u.api.post('/api/vapi/calls', { phoneNumber: '+15557654321' });
    expect(failed.status).toBe(502);
    expect(failed.error?.code).toBe('bad_gateway');
    const bal = (await u.api.get('/api/credits/balance')).body;
    expect(bal).toMatchObject({ balance: 9, reserved: 2.5 });
    // The sweeper asks VAPI for a call whose report never came.
    const id = ok.body.call.id;
    const c = standIn.calls.get(id);
    if (c) Object.assign(c, { status: 'ended', startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:02:00.000Z' });
    await real.running.core.database.db
      .updateTable('vapi_calls')
      .set({ created_at: Date.now() - 3_600_000 })
      .where('vapi_id', '=', id)
      .execute();
    expect(
      (await sweepCalls(real.running.core, real.running.services.vapi!, { graceSeconds: 300, providerTimeoutMs: 10_000 })).settled,
    ).toBe(1);
    expect((await u.api.get('/api/credits/balance')).body).toMatchObject({ balance: 8, reserved: 0 });
  });

  it('charges uploads by their exact size and refuses files over the limit', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 1);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(1_572_864)]), 'resume.pdf');
    const r = await u.api.request('POST', '/api/files', { raw: form });
    expect(r.status).toBe(201);
    expect(r.body.file).toMatchObject({ name: 'resume.pdf', size: 1_572_864 });
    expect(r.body.credits.charged).toBe(0.375);
    const big = new FormData();
    big.append('file', new Blob([new Uint8Array(2 * 1024 * 1024 + 1)]), 'big.bin');
    const tooBig = await u.api.request('POST', '/api/files', { raw: big });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.code).toBe('payload_too_large');
    expect((await u.api.get('/api/credits/balance')).body.balance).toBe(0.625);
    await s.grant(u.user.id, 1);
    expect((await u.api.post('/api/files', { file: 'not multipart' })).status).toBe(415);
    // The same Idempotency-Key with another file is a conflict; with the same file, a replay.
    const one = () => {
      const f = new FormData();
      f.append('file', new Blob([new Uint8Array(1000).fill(1)]), 'a.txt');
      return f;
    };
    const first = await u.api.request('POST', '/api/files', { raw: one(), headers: { 'idempotency-key': 'up-1' } });
    expect(first.status).toBe(201);
    expect((await u.api.request('POST', '/api/files', { raw: one(), headers: { 'idempotency-key': 'up-1' } })).body).toEqual(first.body);
    const other = new FormData();
    other.append('file', new Blob([new Uint8Array(1000).fill(2)]), 'a.txt');
    expect((await u.api.request('POST', '/api/files', { raw: other, headers: { 'idempotency-key': 'up-1' } })).status).toBe(409);
  });

  it('refuses a second part named `file` (another file, or a field), or a second file under any name: 400, nothing charged or stored', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 1);
    const stored = () => (existsSync(join(s.dataDir, 'uploads')) ? readdirSync(join(s.dataDir, 'uploads')).length : 0);
    const before = { stored: stored(), balance: (await u.api.get('/api/credits/balance')).body };
    const file = (n: number) => new Blob([new Uint8Array(1000).fill(n)]);
    const two = new FormData();
    two.append('file', file(1), 'a.txt');
    two.append('file', file(2), 'b.txt');
    const textAfter = new FormData();
    textAfter.append('file', file(1), 'a.txt');
    textAfter.append('file', 'not a file');
    const textBefore = new FormData();
    textBefore.append('file', 'not a file');
    textBefore.append('file', file(1), 'a.txt');
    const otherName = new FormData();
    otherName.append('file', file(1), 'a.txt');
    otherName.append('attachment', file(2), 'b.txt');
    for (const [what, form] of Object.entries({ two, textAfter, textBefore, otherName })) {
      const r = await u.api.request('POST', '/api/files', { raw: form, headers: { 'idempotency-key': `two-${what}` } });
      expect(r.status, `${what}: ${r.text}`).toBe(400);
      expect(r.error?.code, what).toBe('validation_error');
      expect(r.error?.details?.fields, what).toEqual([expect.objectContaining({ path: 'body.file', field: 'file' })]);
    }
    expect((await u.api.get('/api/credits/balance')).body).toEqual(before.balance);
    expect(stored()).toBe(before.stored);
    // One file, with another field beside it, is still taken.
    const one = new FormData();
    one.append('note', 'hello');
    one.append('file', file(1), 'a.txt');
    expect((await u.api.request('POST', '/api/files', { raw: one })).status).toBe(201);
    expect(stored()).toBe(before.stored + 1);
  });

  it('runs workflows and meters other backends with the service key', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 2);
    const run = await u.api.post('/api/workflows/screen-candidates_v2/execute', { input: { jobId: 1 } });
    expect(run.status).toBe(201);
    expect(run.body.execution).toMatchObject({ workflowId: 'screen-candidates_v2', status: 'completed' });
    expect(run.body.credits.charged).toBe(0.75);
    expect((await u.api.post('/api/workflows/bad id!/execute', {})).status).toBe(400);
    const body = { userId: u.user.id, operation: 'llm_tokens', unit: 'per_1k_tokens', quantity: 1500, idempotencyKey: 'llm-1' };
    expect((await s.api.post('/api/usage', body)).status).toBe(401);
    expect((await s.api.post('/api/usage', body, { 'x-service-key': 'wrong' })).status).toBe(401);
    expect((await u.api.post('/api/usage', body)).status).toBe(403);
    const metered = await s.api.post('/api/usage', body, { 'x-service-key': 'service-key-123' });
    expect(metered.status).toBe(201);
    expect(metered.body.usage).toMatchObject({ cost: 0.03, quantity: 1500 });
    const replay = await s.api.post('/api/usage', body, { 'x-service-key': 'service-key-123' });
    expect(replay.body).toEqual(metered.body);
    expect((await s.api.post('/api/usage', { ...body, quantity: 3000 }, { 'x-service-key': 'service-key-123' })).status).toBe(409);
    expect(
      (await s.api.post('/api/usage', { ...body, userId: 'nobody', idempotencyKey: 'x' }, { 'x-service-key': 'service-key-123' })).status,
    ).toBe(404);
    expect(
      (await s.api.post('/api/usage', { ...body, operation: 'teleport', idempotencyKey: 'y' }, { 'x-service-key': 'service-key-123' }))
        .status,
    ).toBe(404);
    const { idempotencyKey: _, ...noKey } = body;
    expect((await s.api.post('/api/usage', noKey, { 'x-service-key': 'service-key-123' })).status).toBe(400);
    expect((await u.api.get('/api/credits/balance')).body.balance).toBe(1.22);
  });

  it('never charges the super admin but records the usage as bypassed', async () => {
    const boss = await s.userWithRole('super_admin');
    const m = await boss.api.post('/api/messages', { to: 'x', body: 'free' });
    expect(m.status).toBe(201);
    expect(m.body.credits.charged).toBe(0);
    const call = await boss.api.post('/api/vapi/calls', { phoneNumber: '+15551234567' });
    expect(call.status).toBe(201);
    const end = await boss.api.post(`/api/vapi/calls/${call.body.call.id}/end`, { durationSeconds: 60 });
    expect(having(end.body, 'credits').credits.charged).toBe(0);
    expect((await boss.api.get('/api/credits/balance')).body).toMatchObject({ balance: 0, unlimited: true });
    const rows = await s.running.core.database.db
      .selectFrom('usage_tracking')
      .select(['operation', 'bypass', 'charged_mc', 'cost_mc'])
      .where('user_id', '=', boss.user.id)
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { operation: 'message', bypass: 1, charged_mc: 0, cost_mc: 100 },
      { operation: 'vapi_call', bypass: 1, charged_mc: 0, cost_mc: 1000 },
      { operation: 'vapi_call', bypass: 1, charged_mc: 0, cost_mc: 500 },
    ]);
  });

  it('leaves both ledgers verifiable', async () => {
    expect((await verifyLedger(s.running.core.database.db, s.running.core.ledgerKey)).violations).toEqual([]);
    expect((await verifyLedger(real.running.core.database.db, real.running.core.ledgerKey)).violations).toEqual([]);
  });
});
