/**
 * The authorisation matrix: every route of the OpenAPI document against anonymous, user,
 * admin and super admin callers; another user's ids answer 404; tampered, expired,
 * foreign-algorithm and `alg: none` tokens are refused.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { TEST_PASSWORD } from '../support/factories.js';
import { type Client, type TestServer, startTestServer, having } from '../support/server.js';

const PUBLIC = new Set([
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
  'GET /api/config',
  'GET /api/credits/packages',
  'GET /api/credits/pricing',
  'POST /api/auth/register',
  'POST /api/auth/login',
  // The first super admin: the one-time setup token in the body is the credential.
  'GET /api/setup',
  'POST /api/setup',
  'POST /api/auth/verify-email',
  'POST /api/auth/verify-email/resend',
  'POST /api/auth/forgot-password',
  'POST /api/auth/reset-password',
  'POST /api/vapi/webhook',
  'POST /api/credits/stripe/webhook',
  'POST /api/usage',
]);

describe.each(await activeDialects())('authorisation matrix on %s', (dialect) => {
  let s: TestServer;
  let routes: { method: string; path: string }[];
  let user: Awaited<ReturnType<TestServer['register']>>;
  let admin: Awaited<ReturnType<TestServer['userWithRole']>>;
  let superAdmin: Awaited<ReturnType<TestServer['userWithRole']>>;
  beforeAll(async () => {
    s = await startTestServer(dialect, { VAPI_WEBHOOK_SECRET: 's3cret' });
    user = await s.register();
    admin = await s.userWithRole('admin');
    superAdmin = await s.userWithRole('super_admin');
    const doc = (await s.api.get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path })));
  });
  afterAll(async () => {
    await s?.stop();
  });

  const call = (c: Client, method: string, path: string) => {
    const url = path.replace(/\{[^}]+\}/g, 'some-id');
    return method === 'GET' ? c.get(url) : c.request(method, url, { body: {} });
  };

  it('refuses anonymous callers on every route that is not public', async () => {
    const privateRoutes = routes.filter((r) => !PUBLIC.has(`${r.method} ${r.path}`));
    expect(privateRoutes.length).toBeGreaterThan(25);
    for (const r of privateRoutes) {
      const res = await call(s.api, r.method, r.path);
      expect(res.status, `${r.method} ${r.path}`).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
  });

  it('refuses users on every admin route (403) and lets admins and super admins in', async () => {
    const adminRoutes = routes.filter((r) => r.path.startsWith('/api/admin'));
    expect(adminRoutes.length).toBeGreaterThanOrEqual(14);
    for (const r of adminRoutes) {
      const res = await call(user.api, r.method, r.path);
      expect(res.status, `user ${r.method} ${r.path}`).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
      for (const who of [admin, superAdmin]) {
        const ok = await call(who.api, r.method, r.path);
        expect([401, 403], `${r.method} ${r.path}`).not.toContain(ok.status);
      }
    }
  });

  it('refuses every token of a user, admin or super admin on the service API (an API key only)', async () => {
    const serviceRoutes = routes.filter((r) => r.path.startsWith('/api/v1/'));
    expect(serviceRoutes.length).toBeGreaterThanOrEqual(8);
    for (const r of serviceRoutes) {
      for (const who of [user, admin, superAdmin]) {
        const res = await call(who.api, r.method, r.path);
        expect(res.status, `${r.method} ${r.path}`).toBe(401);
        expect(res.body.error.code).toBe('unauthorized');
      }
    }
  });

  it("answers 404 for another user's objects", async () => {
    const a = await s.register();
    const b = await s.register();
    await s.grant(a.user.id, 10);
    await s.running.core.database.db
      .insertInto('credit_alerts')
      .values({ id: 'alert-of-a', user_id: a.user.id, type: 'low_balance', message: 'x', read: 0, metadata: null, created_at: Date.now() })
      .execute();
    expect((await b.api.post('/api/credits/alerts/alert-of-a/read')).status).toBe(404);
    const call1 = await a.api.post('/api/vapi/calls', { phoneNumber: '+15551234567' });
    expect(call1.status).toBe(201);
    expect((await b.api.post(`/api/vapi/calls/${call1.body.call.id}/end`, { durationSeconds: 5 })).status).toBe(404);
    // B's lists never show A's rows.
    expect((await b.api.get('/api/credits/transactions')).body.items).toEqual([]);
    expect((await b.api.get('/api/credits/alerts')).body.items).toEqual([]);
    expect((await b.api.get('/api/credits/payments')).body.items).toEqual([]);
    expect((await b.api.get('/api/vapi/calls')).body.items).toEqual([]);
    expect((await a.api.get('/api/vapi/calls')).body.items).toHaveLength(1);
    expect((await a.api.post('/api/credits/alerts/alert-of-a/read')).status).toBe(200);
  });

  it('refuses tampered, expired, foreign-algorithm and alg:none tokens', async () => {
    const key = new TextEncoder().encode(s.env.JWT_SECRET);
    const good = user.token;
    const [h, p, sig] = good.split('.') as [string, string, string];
    const flipped = `${h}.${p}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`;
    const otherPayload = Buffer.from(JSON.stringify({ sub: admin.user.id, iss: 'credit-billing', exp: 9_999_999_999 })).toString(
      'base64url',
    );
    const swapped = `${h}.${otherPayload}.${sig}`;
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: user.user.id, iss: 'credit-billing', exp: 9_999_999_999 })).toString('base64url')}.`;
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.user.id)
      .setIssuer('credit-billing')
      .setIssuedAt(1_600_000_000)
      .setExpirationTime(1_600_000_100)
      .sign(key);
    const hs512 = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject(user.user.id)
      .setIssuer('credit-billing')
      .setExpirationTime('1h')
      .sign(key);
    const otherSecret = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.user.id)
      .setIssuer('credit-billing')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('another-secret-another-secret-another'));
    const ghost = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('no-such-user')
      .setIssuer('credit-billing')
      .setExpirationTime('1h')
      .sign(key);
    for (const [name, token] of Object.entries({ flipped, swapped, none, expired, hs512, otherSecret, ghost, garbage: 'not.a.jwt' })) {
      const r = await s.api.withToken(token).get('/api/credits/balance');
      expect(r.status, name).toBe(401);
    }
    expect((await s.api.withToken(good).get('/api/credits/balance')).status).toBe(200);
    expect((await s.api.get('/api/credits/balance', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` })).status).toBe(401);
  });

  it('never returns a password hash, and ignores role and balance in a sign-up body', async () => {
    const r = await s.api.post('/api/auth/register', {
      email: `mass-${Date.now()}@example.com`,
      password: TEST_PASSWORD,
      name: 'Mass',
      role: 'super_admin',
      balance: 1e6,
      credits: 1e6,
    });
    expect(r.status).toBe(201);
    expect(having(r.body, 'token').user.role).toBe('user');
    expect(JSON.stringify(r.body)).not.toMatch(/scrypt|password/i);
    const me = await s.api.withToken(having(r.body, 'token').token).get('/api/auth/me');
    expect(JSON.stringify(me.body)).not.toMatch(/scrypt|password_hash/);
    expect((await s.api.withToken(having(r.body, 'token').token).get('/api/credits/balance')).body.balance).toBe(0);
    const list = await admin.api.get('/api/admin/users?limit=200');
    expect(JSON.stringify(list.body)).not.toMatch(/scrypt|password/);
  });
});
