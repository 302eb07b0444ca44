/**
 * The client against a stand-in of the service API: every method's request and answer,
 * errors as typed exceptions, retries with backoff on network errors, timeouts, 429 and
 * 5xx (honouring Retry-After) with one Idempotency-Key per logical call reused on each
 * retry, and no retry of a refusal.
 */
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CreditsApiError, CreditsClient, InsufficientCreditsError } from '../src/index.js';
import { type FakeService, startFakeService } from './fake-service.js';

const KEY = 'ck_live_test_0123456789abcdef';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('CreditsClient', () => {
  let svc: FakeService;
  let client: CreditsClient;
  beforeAll(async () => {
    svc = await startFakeService(KEY);
    client = new CreditsClient({ baseUrl: `${svc.url}/`, apiKey: KEY, timeoutMs: 2000, maxRetries: 2 });
  });
  afterEach(() => {
    svc.requests.length = 0;
  });
  afterAll(async () => {
    await svc.close();
  });

  it('upserts a customer and reads its balance; an unknown customer is a CreditsApiError 404', async () => {
    const c = await client.upsertCustomer('cand/42 ü', { email: 'a@example.com', name: 'Ada' });
    expect(c).toEqual({ accountId: 'acc-cand/42 ü', externalId: 'cand/42 ü', kind: 'personal', name: 'Ada' });
    expect(svc.requests[0]?.url).toBe('/api/v1/customers/cand%2F42%20%C3%BC');
    expect(svc.requests[0]?.method).toBe('PUT');
    expect(svc.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    svc.available.set('cand/42 ü', 12.5);
    expect(await client.balance('cand/42 ü')).toMatchObject({ balance: 12.5, available: 12.5, reserved: 0 });
    const err = await client.balance('nobody').catch((e) => e);
    expect(err).toBeInstanceOf(CreditsApiError);
    expect(err).not.toBeInstanceOf(InsufficientCreditsError);
    expect(err.status).toBe(404);
    expect(err.code).toBe('not_found');
    expect(err.requestId).toMatch(/^req-/);
  });

  it('records usage with a generated Idempotency-Key, or the caller’s', async () => {
    svc.available.set('u1', 10);
    expect(
      await client.recordUsage({ customer: 'u1', operation: 'message', unit: 'per_message', quantity: 1, metadata: { to: 'x' } }),
    ).toEqual({
      usageId: expect.stringMatching(/^usage-/),
      charged: 0.1,
      balance: 9.9,
    });
    expect(svc.requests[0]?.headers['idempotency-key']).toMatch(UUID);
    expect(svc.requests[0]?.body).toEqual({
      customer: 'u1',
      operation: 'message',
      unit: 'per_message',
      quantity: 1,
      metadata: { to: 'x' },
    });
    await client.recordUsage({ customer: 'u1', operation: 'message', unit: 'per_message', quantity: 1, idempotencyKey: 'mine-1' });
    await client.recordUsage({ customer: 'u1', operation: 'message', unit: 'per_message', quantity: 1, idempotencyKey: 'mine-1' });
    expect(svc.requests.slice(1).map((r) => r.headers['idempotency-key'])).toEqual(['mine-1', 'mine-1']);
    expect(svc.available.get('u1')).toBe(9.8); // the replayed key charged once
    // Two logical calls without a key are two keys.
    await client.recordUsage({ customer: 'u1', operation: 'message', unit: 'per_message', quantity: 1 });
    expect(svc.requests[3]?.headers['idempotency-key']).not.toBe(svc.requests[0]?.headers['idempotency-key']);
  });

  it('throws InsufficientCreditsError with required and available (credits)', async () => {
    svc.available.set('poor', 0.05);
    const err = await client.recordUsage({ customer: 'poor', operation: 'message', unit: 'per_message', quantity: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(InsufficientCreditsError);
    expect(err).toBeInstanceOf(CreditsApiError);
    expect(err.status).toBe(402);
    expect(err.code).toBe('insufficient_credits');
    expect(err.required).toBe(0.1);
    expect(err.available).toBe(0.05);
    expect(err.body).toEqual({
      error: { code: 'insufficient_credits', message: expect.any(String), details: { required: 0.1, available: 0.05 } },
    });
    expect(svc.requests).toHaveLength(1); // a refusal is not retried
  });

  it('retries a dropped connection and a 503 with the same Idempotency-Key, charging once', async () => {
    svc.available.set('u2', 10);
    svc.failNext({ kind: 'drop' }, { kind: 'status', status: 503, retryAfter: '0' });
    const r = await client.recordUsage({ customer: 'u2', operation: 'message', unit: 'per_message', quantity: 1 });
    expect(r.charged).toBe(0.1);
    expect(svc.requests).toHaveLength(3);
    const keys = new Set(svc.requests.map((q) => q.headers['idempotency-key']));
    expect(keys.size).toBe(1);
    expect(svc.available.get('u2')).toBe(9.9);
  });

  it('retries a slow answer after the timeout with the same key; the first attempt’s charge is replayed, not repeated', async () => {
    svc.available.set('u3', 10);
    const quick = new CreditsClient({ baseUrl: svc.url, apiKey: KEY, timeoutMs: 150, maxRetries: 1 });
    svc.failNext({ kind: 'slow', ms: 400 });
    const r = await quick.recordUsage({ customer: 'u3', operation: 'message', unit: 'per_message', quantity: 1 });
    expect(r.charged).toBe(0.1);
    expect(svc.requests).toHaveLength(2);
    expect(svc.requests[0]?.headers['idempotency-key']).toBe(svc.requests[1]?.headers['idempotency-key']);
    // The slow first attempt also completed on the service; the key made its retry a replay.
    await expect.poll(() => svc.available.get('u3')).toBe(9.9);
    // Without retries, a timeout is a CreditsApiError with status 0.
    const none = new CreditsClient({ baseUrl: svc.url, apiKey: KEY, timeoutMs: 100, maxRetries: 0 });
    svc.failNext({ kind: 'slow', ms: 300 });
    const err = await none.balance('u3').catch((e) => e);
    expect(err).toBeInstanceOf(CreditsApiError);
    expect(err.status).toBe(0);
    expect(err.code).toBe('timeout');
  });

  it('honours Retry-After on 429, and gives up after maxRetries with the last error', async () => {
    svc.available.set('u4', 10);
    svc.failNext({ kind: 'status', status: 429, retryAfter: '1' });
    const started = Date.now();
    await client.balance('u4');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(svc.requests).toHaveLength(2);

    svc.requests.length = 0;
    svc.failNext(
      { kind: 'status', status: 503, retryAfter: '0' },
      { kind: 'status', status: 503, retryAfter: '0' },
      { kind: 'status', status: 503, retryAfter: '0' },
    );
    const err = await client.balance('u4').catch((e) => e);
    expect(err).toBeInstanceOf(CreditsApiError);
    expect(err.status).toBe(503);
    expect(err.code).toBe('overloaded');
    expect(svc.requests).toHaveLength(3); // the first attempt and 2 retries
  });

  it('does not retry a 4xx refusal', async () => {
    svc.failNext({ kind: 'status', status: 409, body: { error: { code: 'idempotency_conflict', message: 'other body' } } });
    const err = await client
      .recordUsage({ customer: 'u1', operation: 'message', unit: 'per_message', quantity: 1, idempotencyKey: 'k' })
      .catch((e) => e);
    expect(err.code).toBe('idempotency_conflict');
    expect(err.status).toBe(409);
    expect(svc.requests).toHaveLength(1);
  });

  it('sends batches and returns each event’s result in order', async () => {
    svc.available.set('b1', 0.25);
    const results = await client.recordUsageBatch([
      { id: 'e1', customer: 'b1', operation: 'message', unit: 'per_message', quantity: 1 },
      { id: 'e1', customer: 'b1', operation: 'message', unit: 'per_message', quantity: 1 },
      { id: 'e2', customer: 'nobody', operation: 'message', unit: 'per_message', quantity: 1 },
      { id: 'e3', customer: 'b1', operation: 'message', unit: 'per_message', quantity: 1 },
      { id: 'e4', customer: 'b1', operation: 'message', unit: 'per_message', quantity: 1 },
    ]);
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['e1', 'charged'],
      ['e1', 'duplicate'],
      ['e2', 'invalid'],
      ['e3', 'charged'],
      ['e4', 'insufficient_credits'],
    ]);
    expect(svc.requests[0]?.body.events).toHaveLength(5);
    expect(svc.requests[0]?.headers['idempotency-key']).toMatch(UUID);
  });

  it('holds, captures at most the held credits, and refuses a second capture (409); release and extend', async () => {
    svc.available.set('h1', 10);
    const hold = await client.hold({ customer: 'h1', operation: 'interview', unit: 'per_minute', quantity: 30, ttlSeconds: 60 });
    expect(hold).toMatchObject({ id: expect.stringMatching(/^hold-/), status: 'held', credits: 3 });
    expect(svc.requests[0]?.headers['idempotency-key']).toMatch(UUID);
    expect(svc.available.get('h1')).toBe(7);
    const extended = await hold.extend({ ttlSeconds: 600 });
    expect(hold.expiresAt).toBe(extended.expiresAt);
    expect(Date.parse(extended.expiresAt)).toBeGreaterThan(Date.now() + 500_000);
    const captured = await hold.capture({ quantity: 50, metadata: { callId: 'c1' } });
    expect(captured).toMatchObject({ status: 'captured', credits: 3, heldCredits: 3, charged: 3 });
    expect(svc.requests.at(-1)?.body).toEqual({ quantity: 50, metadata: { callId: 'c1' } });
    expect(hold.status).toBe('captured');
    const again = await hold.capture({ quantity: 1 }).catch((e) => e);
    expect(again).toBeInstanceOf(CreditsApiError);
    expect(again.status).toBe(409);

    const other = await client.hold({ customer: 'h1', operation: 'interview', unit: 'per_minute', quantity: 10 });
    expect(await other.release()).toEqual({ id: other.id, status: 'released' });
    expect(svc.available.get('h1')).toBe(7);
    const broke = await client.hold({ customer: 'h1', operation: 'interview', unit: 'per_minute', quantity: 1000 }).catch((e) => e);
    expect(broke).toBeInstanceOf(InsufficientCreditsError);
    expect(broke.required).toBe(100);
  });

  it('never shows its API key when logged', () => {
    expect(inspect(client, { depth: 5, showHidden: true })).not.toContain(KEY);
    expect(JSON.stringify(client)).not.toContain(KEY);
  });

  it('refuses a configuration without a URL or key', () => {
    expect(() => new CreditsClient({ baseUrl: 'localhost:3000', apiKey: KEY })).toThrow(TypeError);
    expect(() => new CreditsClient({ baseUrl: svc.url, apiKey: '' })).toThrow(TypeError);
  });
});
