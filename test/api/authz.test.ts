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

describe.each(await activeDialects())('X-Account in the authorisation matrix on %s', (dialect) => {
  let s: TestServer;
  let routes: string[];
  let owner: Awaited<ReturnType<TestServer['register']>>;
  let member: Awaited<ReturnType<TestServer['register']>>;
  let outsider: Awaited<ReturnType<TestServer['register']>>;
  let orgId: string;
  let foreignId: string;
  beforeAll(async () => {
    s = await startTestServer(dialect, { VAPI_WEBHOOK_SECRET: 's3cret' });
    owner = await s.register({ name: 'Owner' });
    member = await s.register({ name: 'Member' });
    outsider = await s.register({ name: 'Outsider' });
    orgId = (await owner.api.post('/api/orgs', { name: 'Matrix' })).body.organization.id;
    const inv = await owner.api.post(`/api/orgs/${orgId}/invitations`, { email: member.user.email, role: 'member' });
    expect((await member.api.post(`/api/invitations/${inv.body.invitation.token}/accept`)).status).toBe(200);
    // Another organisation, of a user the member has nothing to do with.
    foreignId = (await outsider.api.post('/api/orgs', { name: 'Elsewhere' })).body.organization.id;
    for (const id of [orgId, foreignId, member.user.id]) await s.grant(id, 1000);
    const doc = (await s.api.get('/openapi.json')).body as {
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
    };
    routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.parameters?.some((p) => p.name === 'X-Account'))
        .map(([m]) => `${m.toUpperCase()} ${path}`),
    );
  });
  afterAll(async () => {
    await s?.stop();
  });

  /** What a plain member of the organisation may do there: `ok` (the route's success) or `forbidden` (owners and admins only). */
  const MANAGERS_ONLY = new Set([
    'POST /api/credits/purchase',
    'PUT /api/credits/settings',
    'GET /api/credits/payments',
    'POST /api/credits/redeem',
  ]);

  /** A valid request for each route that takes X-Account; the id of an object of the account where the path names one. */
  async function send(c: Client, route: string, account: string, fresh: string): Promise<{ status: number; code?: string }> {
    const h = { 'x-account': account, 'idempotency-key': fresh };
    switch (route) {
      case 'GET /api/credits/stream': {
        const ctl = new AbortController();
        const res = await fetch(`${s.url}/api/credits/stream`, {
          headers: { authorization: `Bearer ${c.token}`, 'x-account': account },
          signal: ctl.signal,
        });
        const status = res.status;
        const code = status >= 400 ? ((await res.json()) as { error: { code: string } }).error.code : undefined;
        ctl.abort();
        await res.body?.cancel().catch(() => undefined);
        return { status, ...(code ? { code } : {}) };
      }
      case 'POST /api/credits/estimate':
        return c.post('/api/credits/estimate', { operation: 'message', unit: 'per_message', quantity: 1 }, h);
      case 'POST /api/credits/alerts/{id}/read': {
        // An alert of the account the request names, so only the account decides the answer.
        const id = `alert-${fresh}`;
        const target = account === orgId || account === foreignId ? account : c === member.api ? member.user.id : account;
        await s.running.core.database.db
          .insertInto('credit_alerts')
          .values({ id, user_id: target, type: 'low_balance', message: 'x', read: 0, metadata: null, created_at: Date.now() })
          .execute();
        return c.post(`/api/credits/alerts/${id}/read`, {}, h);
      }
      case 'PUT /api/credits/settings':
        return c.put('/api/credits/settings', { lowBalanceThreshold: 2 }, h);
      case 'POST /api/credits/purchase':
        return c.post('/api/credits/purchase', { packageId: 'pkg_starter' }, h);
      case 'POST /api/credits/redeem':
        return c.post('/api/credits/redeem', { code: 'NOSUCHCODE' }, h);
      case 'POST /api/messages':
        return c.post('/api/messages', { to: 'x', body: 'hello' }, h);
      case 'POST /api/vapi/calls':
        return c.post('/api/vapi/calls', { phoneNumber: '+15551234567' }, h);
      case 'POST /api/vapi/calls/{id}/end': {
        // A call the organisation's member started there: ended through the account that holds it.
        const started = await member.api.post(
          '/api/vapi/calls',
          { phoneNumber: '+15551234567' },
          { 'x-account': orgId, 'idempotency-key': `c-${fresh}` },
        );
        expect(started.status, started.text).toBe(201);
        return c.post(`/api/vapi/calls/${started.body.call.id}/end`, { durationSeconds: 5 }, h);
      }
      case 'POST /api/files': {
        const form = new FormData();
        form.append('file', new Blob([new Uint8Array(2048)]), 'cv.pdf');
        return c.request('POST', '/api/files', { raw: form, headers: h });
      }
      case 'POST /api/workflows/{id}/execute':
        return c.post('/api/workflows/screen/execute', { input: { candidate: 'c1' } }, h);
      default:
        if (!route.startsWith('GET ')) throw new Error(`no request written for ${route}: add one`);
        return c.get(route.slice(4), { 'x-account': account });
    }
  }
  const codeOf = (r: { status: number; code?: string; error?: { code: string } }) => r.code ?? r.error?.code;

  it('covers every route that takes X-Account', () => {
    expect(routes.length).toBeGreaterThanOrEqual(20);
    expect(routes).toContain('GET /api/credits/stream');
    expect(routes).toContain('POST /api/messages');
  });

  it("an organisation the caller is not a member of is 404 on every such route (and another user's personal account), nothing moves", async () => {
    const money = async () =>
      JSON.stringify(
        await s.running.core.database.db
          .selectFrom('user_credits')
          .select(['user_id', 'balance_mc', 'reserved_mc'])
          .where('user_id', 'in', [foreignId, owner.user.id])
          .orderBy('user_id')
          .execute(),
      );
    const before = await money();
    let n = 0;
    for (const route of routes) {
      if (route === 'POST /api/vapi/calls/{id}/end') continue;
      for (const account of [foreignId, owner.user.id]) {
        const r = await send(member.api, route, account, `a-${n++}`);
        expect(r.status, `${route} X-Account ${account}`).toBe(404);
        expect(codeOf(r), route).toBe('not_found');
      }
    }
    // Ending the organisation's call (started by its member) as an outsider naming the organisation.
    const r = await send(outsider.api, 'POST /api/vapi/calls/{id}/end', orgId, 'a-end');
    expect(r.status).toBe(404);
    expect(codeOf(r)).toBe('not_found');
    expect(await money()).toBe(before);
  });

  it('a plain member is refused (403 forbidden) on purchases, settings, payments and redeeming, and allowed on every other such route', async () => {
    let n = 0;
    for (const route of routes) {
      const r = await send(member.api, route, orgId, `b-${n++}`);
      if (MANAGERS_ONLY.has(route)) {
        expect(r.status, route).toBe(403);
        expect(codeOf(r), route).toBe('forbidden');
        // The owner is let through on the same request (a made-up promo code is merely unknown).
        const o = await send(owner.api, route, orgId, `o-${n++}`);
        expect([200, 201, 404], `owner ${route}`).toContain(o.status);
        if (route !== 'POST /api/credits/redeem') expect(o.status, `owner ${route}`).toBeLessThan(300);
      } else {
        expect(r.status, `member ${route}: ${JSON.stringify(r)}`).toBeGreaterThanOrEqual(200);
        expect(r.status, `member ${route}`).toBeLessThan(300);
      }
    }
    // The member's metered requests were charged to the organisation, recorded with them as the member.
    const rows = await s.running.core.database.db
      .selectFrom('credit_transactions')
      .select(['member_id'])
      .where('user_id', '=', orgId)
      .where('type', '=', 'usage')
      .execute();
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(new Set(rows.map((x) => x.member_id))).toEqual(new Set([member.user.id]));
  });

  it('the routes of an organisation: an outsider gets 404 on every one, a plain member 403 on the managers\u2019 ones', async () => {
    const doc = (await s.api.get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const orgRoutes = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/orgs/{id}'))
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(orgRoutes).toEqual(
      expect.arrayContaining([
        'GET /api/orgs/{id}/members',
        'POST /api/orgs/{id}/invitations',
        'GET /api/orgs/{id}/invitations',
        'DELETE /api/orgs/{id}/invitations/{invitationId}',
        'PATCH /api/orgs/{id}/members/{userId}',
        'DELETE /api/orgs/{id}/members/{userId}',
      ]),
    );
    const pending = await owner.api.post(`/api/orgs/${orgId}/invitations`, { email: 'pending@example.com', role: 'member' });
    expect(pending.status).toBe(201);
    const bodies: Record<string, unknown> = {
      'POST /api/orgs/{id}/invitations': { email: 'someone@example.com', role: 'member' },
      'PATCH /api/orgs/{id}/members/{userId}': { monthlyLimit: 5 },
    };
    const url = (route: string) =>
      (route.split(' ')[1] as string)
        .replace('{id}', orgId)
        .replace('{userId}', owner.user.id)
        .replace('{invitationId}', pending.body.invitation.id);
    // Only reading the members is every member's; the rest is the managers' (removing another member too).
    const forEveryMember = new Set(['GET /api/orgs/{id}/members']);
    for (const route of orgRoutes) {
      const method = route.split(' ')[0] as string;
      const body = bodies[route] ?? (method === 'GET' || method === 'DELETE' ? undefined : {});
      const o = await outsider.api.request(method, url(route), body === undefined ? {} : { body });
      expect(o.status, `outsider ${route}`).toBe(404);
      expect(o.error?.code).toBe('not_found');
      const m = await member.api.request(method, url(route), body === undefined ? {} : { body });
      if (forEveryMember.has(route)) expect(m.status, `member ${route}`).toBe(200);
      else {
        expect(m.status, `member ${route}`).toBe(403);
        expect(m.error?.code).toBe('forbidden');
      }
    }
    // Nothing changed: the owner is still owner without a limit, the invitation still pending.
    const members = (await owner.api.get(`/api/orgs/${orgId}/members`)).body.items;
    expect(members.find((x: { userId: string }) => x.userId === owner.user.id)).toMatchObject({ role: 'owner', monthlyLimit: null });
    expect((await owner.api.get(`/api/orgs/${orgId}/invitations`)).body.items.map((i: { id: string }) => i.id)).toContain(
      pending.body.invitation.id,
    );
  });

  it('garbage X-Account values are 404 or 400 with the error shape, never a 5xx, on every such route', async () => {
    const garbage = [
      'a'.repeat(101),
      'a'.repeat(5000),
      '../../etc/passwd',
      "' or 1=1 --",
      '%00',
      'null',
      '00000000-0000-0000-0000-000000000000',
      `${orgId}, ${foreignId}`,
      orgId.toUpperCase(),
      '\u00e9t\u00e9',
    ];
    let n = 0;
    for (const route of routes) {
      if (route === 'POST /api/vapi/calls/{id}/end' || route === 'POST /api/credits/alerts/{id}/read') continue;
      for (const g of garbage) {
        const r = await send(member.api, route, g, `c-${n++}`);
        expect([400, 404], `${route} X-Account ${JSON.stringify(g.slice(0, 40))}: ${r.status}`).toContain(r.status);
        expect(codeOf(r), route).toMatch(/^[a-z_]+$/);
      }
    }
  });
});
