import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';

describe.each(await activeDialects())('POST /api/messages on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('charges 0.1 per message and answers the charge', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 1);
    const r = await u.api.call('POST /api/messages', { body: { to: '+15551234567', body: 'Hello' } });
    expect(r.status).toBe(201);
    expect(r.body.credits).toMatchObject({ charged: 0.1, balance: 0.9, available: 0.9 });
  });

  it('answers 402 with required and available when short, writing nothing', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 0.05);
    const r = await u.api.call('POST /api/messages', { body: { to: 'c-1', body: 'Hi' } });
    expect(r.status).toBe(402);
    expect(r.body).toEqual({
      error: { code: 'insufficient_credits', message: expect.any(String), details: { required: 0.1, available: 0.05 } },
    });
    const bal = await u.api.call('GET /api/credits/balance');
    expect(bal.body.balance).toBe(0.05);
  });

  it('lets exactly as many of 200 parallel requests through as the credits cover', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 10);
    const results = await Promise.all(
      Array.from({ length: 200 }, () => u.api.call('POST /api/messages', { body: { to: 'x', body: 'race' } })),
    );
    const codes = results.map((r) => r.status);
    expect(codes.filter((c) => c === 201)).toHaveLength(100);
    expect(codes.filter((c) => c === 402)).toHaveLength(100);
    const bal = await u.api.call('GET /api/credits/balance');
    expect(bal.body).toMatchObject({ balance: 0, available: 0, reserved: 0 });
  });

  it('replays an Idempotency-Key and refuses it with another body', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 1);
    const headers = { 'idempotency-key': 'msg-1' };
    const a = await u.api.call('POST /api/messages', { body: { to: 'x', body: 'one' }, headers });
    const b = await u.api.call('POST /api/messages', { body: { to: 'x', body: 'one' }, headers });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body).toEqual(a.body);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    const c = await u.api.call('POST /api/messages', { body: { to: 'x', body: 'two' }, headers });
    expect(c.status).toBe(409);
    expect(c.error?.code).toBe('idempotency_conflict');
    const dup = await Promise.all(
      Array.from({ length: 8 }, () =>
        u.api.call('POST /api/messages', { body: { to: 'y', body: 'same' }, headers: { 'idempotency-key': 'msg-2' } }),
      ),
    );
    expect(dup.every((r) => r.status === 201)).toBe(true);
    expect(new Set(dup.map((r) => r.body.message.id)).size).toBe(1);
    expect((await u.api.call('GET /api/credits/balance')).body.balance).toBe(0.8);
  });

  it('refuses bad bodies with the error shape and writes nothing', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 1);
    for (const body of [{}, { to: '', body: 'x' }, { to: 'x', body: '' }, { to: 'x'.repeat(321), body: 'x' }, { to: 1, body: 'x' }]) {
      const r = await u.api.post('/api/messages', body);
      expect(r.status).toBe(400);
      expect(r.error?.code).toBe('validation_error');
    }
    // Not JSON, and JSON's content type with no body at all (read as no body: still 400).
    for (const raw of ['{"to":', '']) {
      const bad = await u.api.request('POST', '/api/messages', { raw, headers: { 'content-type': 'application/json' } });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('validation_error');
    }
    expect((await u.api.call('GET /api/credits/balance')).body.balance).toBe(1);
  });

  it('needs a valid token', async () => {
    const message = { body: { to: 'x', body: 'y' } };
    expect((await s.api.call('POST /api/messages', message)).status).toBe(401);
    const forged = s.api.withToken('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.');
    expect((await forged.call('POST /api/messages', message)).status).toBe(401);
  });

  it('leaves the ledger verifiable', async () => {
    const r = await verifyLedger(s.running.core.database.db, s.running.core.ledgerKey);
    expect(r.violations).toEqual([]);
  });
});
