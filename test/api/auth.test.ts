import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { TEST_PASSWORD } from '../support/factories.js';
import { type Res, type TestServer, startTestServer } from '../support/server.js';

describe.each(await activeDialects())('auth on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect, { AUTH_RATE_LIMIT: '40', SUPER_ADMIN_EMAIL: 'Boss@Example.com', SUPER_ADMIN_PASSWORD: 'Boss-Lantern-93!' });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('registers, signs in and answers me; duplicates and short passwords are refused', async () => {
    const email = `ada-${Date.now()}@example.com`;
    const r = await s.api.post('/api/auth/register', { email, password: TEST_PASSWORD, name: 'Ada' });
    expect(r.status).toBe(201);
    expect(r.body.user).toMatchObject({ email, name: 'Ada', role: 'user' });
    expect((await s.api.post('/api/auth/register', { email: email.toUpperCase(), password: TEST_PASSWORD, name: 'Ada' })).status).toBe(409);
    expect((await s.api.post('/api/auth/register', { email: 'x@example.com', password: 'short', name: 'X' })).status).toBe(400);
    expect((await s.api.post('/api/auth/register', { email: 'not-an-email', password: TEST_PASSWORD, name: 'X' })).status).toBe(400);
    const login = await s.api.post('/api/auth/login', { email, password: TEST_PASSWORD });
    expect(login.status).toBe(200);
    const me = await s.api.withToken(login.body.token).get('/api/auth/me');
    expect(me.body.user.id).toBe(r.body.user.id);
    const wrong = await s.api.post('/api/auth/login', { email, password: 'wrong-password' });
    const unknown = await s.api.post('/api/auth/login', { email: 'nobody@example.com', password: 'wrong-password' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
  });

  it('creates the super admin from the configuration', async () => {
    const login = await s.api.post('/api/auth/login', { email: 'boss@example.com', password: 'Boss-Lantern-93!' });
    expect(login.status).toBe(200);
    expect(login.body.user.role).toBe('super_admin');
    expect((await s.api.withToken(login.body.token).get('/api/credits/balance')).body.unlimited).toBe(true);
  });

  it('limits failed sign-ins per email, then per IP, with Retry-After', async () => {
    const email = `victim-${Date.now()}@example.com`;
    await s.api.post('/api/auth/register', { email, password: TEST_PASSWORD, name: 'V' });
    for (let i = 0; i < 10; i++) expect((await s.api.post('/api/auth/login', { email, password: `guess-${i}` })).status).toBe(401);
    const blocked = await s.api.post('/api/auth/login', { email, password: TEST_PASSWORD });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('rate_limited');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    let limited: Res | null = null;
    for (let i = 0; i < 40 && !limited; i++) {
      const r = await s.api.post('/api/auth/login', { email: `other-${i}@example.com`, password: 'x' });
      if (r.status === 429) limited = r;
    }
    expect(limited?.body.error.code).toBe('rate_limited');
    expect(limited?.headers.get('retry-after')).toBeTruthy();
  });

  it('serves the OpenAPI document and its browsable docs, with security headers', async () => {
    const doc = await s.api.get('/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/credits/balance', '/api/vapi/calls', '/api/admin/users']));
    const docs = await fetch(`${s.url}/docs`, { redirect: 'follow' });
    expect(docs.status).toBe(200);
    const live = await s.api.get('/health/live');
    expect(live.headers.get('x-content-type-options')).toBe('nosniff');
    expect(live.headers.get('x-request-id')).toBeTruthy();
    const metrics = await s.api.get('/metrics');
    expect(metrics.text).toMatch(/http_request_duration_seconds_bucket/);
    expect(metrics.text).toMatch(/ledger_writer_batch_size/);
  });
});

describe.each(await activeDialects())('failed sign-ins sent in parallel on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect, { AUTH_RATE_LIMIT: '1000' });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('checks at most the limit of guesses against the password, however they arrive', async () => {
    const email = `parallel-${Date.now()}@example.com`;
    await s.api.post('/api/auth/register', { email, password: 'password123', name: 'P' });
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => s.api.post('/api/auth/login', { email, password: `guess-${i}` })));
    const codes = answers.map((r) => r.status);
    expect(codes.filter((c) => c === 401)).toHaveLength(10);
    expect(codes.filter((c) => c === 429)).toHaveLength(20);
    expect((await s.api.post('/api/auth/login', { email, password: 'password123' })).status).toBe(429);
  });
});
