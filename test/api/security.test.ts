/**
 * OWASP API Security Top 10 (2023), the items that apply here, beyond the authorisation
 * matrix (authz.test.ts: API1 per list, API2 token tampering, API5 403 on every admin
 * route), the brute-force limits (auth.test.ts), webhook signatures (stripe.test.ts) and
 * the log grep (secrets-in-logs.test.ts):
 *
 * - API9 inventory: every route the server answers is in the OpenAPI document, so the
 *   matrix and the fuzz (both driven by the document) cannot miss one.
 * - API1 object level: every `{id}` route of a user, enumerated from the document, with
 *   another user's id is 404 and changes nothing; Idempotency-Keys are per caller.
 * - API3 property level (mass assignment): role, balance, userId, prices and amounts in
 *   bodies are refused or ignored; nothing the caller may not set is set.
 * - API4 resource limits: JSON body size, page size on every paginated route.
 * - API8 / API10: VAPI webhooks without the shared secret are refused, a replayed report
 *   changes nothing.
 * docs/reliability.md maps each item to its test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';

const VAPI_SECRET = 'vapi-secret-for-security';

/** Full paths and methods out of Fastify's route tree (`printRoutes({ commonPrefix: false })`). */
function routesOfTree(tree: string): Set<string> {
  const out = new Set<string>();
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[└├]── (.*) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = (m[1] as string).length / 4;
    stack.length = depth;
    const full = (stack[depth - 1] ?? '') + (m[2] as string);
    stack[depth] = full.startsWith('/') ? full : `/${full}`;
    for (const method of (m[3] as string).split(', ')) if (method !== 'HEAD') out.add(`${method} ${stack[depth]}`);
  }
  return out;
}

describe.each(await activeDialects())('OWASP API Top 10 on %s', (dialect) => {
  let s: TestServer;
  let doc: { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> };
  beforeAll(async () => {
    s = await startTestServer(dialect, { VAPI_WEBHOOK_SECRET: VAPI_SECRET, SERVICE_API_KEY: 'svc-key-security' });
    doc = (await s.api.request<typeof doc>('GET', '/openapi.json')).body;
  });
  afterAll(async () => {
    await s?.stop();
  });

  const documented = () =>
    new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`),
      ),
    );

  it('API9: every route the server answers is in the OpenAPI document', () => {
    const served = [...routesOfTree(s.running.app.printRoutes({ commonPrefix: false }))].filter((r) =>
      /^[A-Z]+ \/(api|health|metrics)/.test(r),
    );
    expect(served.length).toBeGreaterThan(40);
    const docs = documented();
    expect(served.filter((r) => !docs.has(r))).toEqual([]);
  });

  it("API1: every user route with an {id} answers 404 for another user's object and changes nothing", async () => {
    const a = await s.register();
    const b = await s.register();
    await s.grant(a.user.id, 10);
    await s.grant(b.user.id, 10);
    // What each {id} names, and how B is refused A's: a new {id} route must be added here.
    // The service API (/api/v1) answers API keys, never a user's token: checked below.
    const idRoutes = Object.entries(doc.paths)
      .filter(([path]) => path.includes('{') && !path.startsWith('/api/admin') && !path.startsWith('/api/v1/'))
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(idRoutes).toEqual([
      'DELETE /api/orgs/{id}/invitations/{invitationId}',
      'DELETE /api/orgs/{id}/members/{userId}',
      'GET /api/orgs/{id}/invitations',
      'GET /api/orgs/{id}/members',
      'PATCH /api/orgs/{id}/members/{userId}',
      'POST /api/credits/alerts/{id}/read',
      'POST /api/invitations/{token}/accept',
      'POST /api/orgs/{id}/invitations',
      'POST /api/vapi/calls/{id}/end',
      'POST /api/workflows/{id}/execute',
    ]);
    for (const [path, ops] of Object.entries(doc.paths).filter(([p]) => p.startsWith('/api/v1/'))) {
      for (const m of Object.keys(ops)) {
        const method = m.toUpperCase();
        const r = await a.api.request(method, path.replace(/\{[^}]+\}/g, 'x'), {
          ...(method === 'GET' ? {} : { body: {} }),
          headers: { 'idempotency-key': `api1-${m}-${path}` },
        });
        expect([401, 403], `${m} ${path} with a user's token`).toContain(r.status);
      }
    }

    // Organisations: B, not a member of A's, is told it does not exist on each of its routes,
    // with A's user id or B's own; nothing changes. A's invitation to someone else is not B's.
    const org = (await a.api.post('/api/orgs', { name: 'A team' })).body.organization;
    const inv = await a.api.post(`/api/orgs/${org.id}/invitations`, { email: 'someone@example.com', role: 'admin' });
    const refusedOrg = [
      await b.api.get(`/api/orgs/${org.id}/members`),
      await b.api.post(`/api/orgs/${org.id}/invitations`, { email: b.user.email, role: 'owner' }),
      await b.api.patch(`/api/orgs/${org.id}/members/${a.user.id}`, { role: 'member' }),
      await b.api.patch(`/api/orgs/${org.id}/members/${b.user.id}`, { role: 'owner' }),
      await b.api.request('DELETE', `/api/orgs/${org.id}/members/${a.user.id}`),
      await b.api.post(`/api/invitations/${inv.body.invitation.token}/accept`),
      await b.api.get(`/api/orgs/${org.id}/invitations`),
      await b.api.request('DELETE', `/api/orgs/${org.id}/invitations/${inv.body.invitation.id}`),
      // A's personal account is not an organisation B could reach either.
      await b.api.get(`/api/orgs/${a.user.id}/members`),
    ];
    expect(refusedOrg.map((r) => r.status)).toEqual([404, 404, 404, 404, 404, 404, 404, 404, 404]);
    // A's invitation is still pending: B's refused revoke changed nothing.
    expect((await a.api.get(`/api/orgs/${org.id}/invitations`)).body.items).toEqual([
      expect.objectContaining({ id: inv.body.invitation.id, email: 'someone@example.com' }),
    ]);
    expect((await a.api.get(`/api/orgs/${org.id}/members`)).body.items).toEqual([
      expect.objectContaining({ userId: a.user.id, role: 'owner' }),
    ]);
    expect((await b.api.get('/api/accounts')).body.items).toHaveLength(1);

    // Alerts: A's alert cannot be marked read by B.
    await s.running.core.database.db
      .insertInto('credit_alerts')
      .values({
        id: `alert-${a.user.id}`,
        user_id: a.user.id,
        type: 'low_balance',
        message: 'x',
        read: 0,
        metadata: null,
        created_at: Date.now(),
      })
      .execute();
    const read = await b.api.post(`/api/credits/alerts/alert-${a.user.id}/read`);
    expect(read.status).toBe(404);
    expect(read.error?.code).toBe('not_found');
    expect((await a.api.get('/api/credits/alerts')).body.items[0]).toMatchObject({ id: `alert-${a.user.id}`, read: false });

    // Calls: B cannot end (and so settle) A's call; A's hold stays.
    const call = await a.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 120 });
    expect(call.status).toBe(201);
    const before = (await a.api.get('/api/credits/balance')).body;
    const end = await b.api.post(`/api/vapi/calls/${call.body.call.id}/end`, { durationSeconds: 1 });
    expect(end.status).toBe(404);
    expect((await a.api.get('/api/credits/balance')).body).toEqual(before);
    expect((await b.api.get('/api/credits/balance')).body.balance).toBe(10);

    // Workflows: the id names a workflow of the platform, not an object of a user; running
    // it charges the caller only.
    const wf = await b.api.post('/api/workflows/screening/execute', {});
    expect(wf.status).toBe(201);
    expect((await a.api.get('/api/credits/balance')).body).toEqual(before);

    // Idempotency-Keys are scoped to the caller: B's key equal to A's neither replays A's
    // answer nor is refused; each is charged once.
    const ka = await a.api.post('/api/messages', { to: 'x', body: 'y' }, { 'idempotency-key': 'shared-key' });
    const kb = await b.api.post('/api/messages', { to: 'x', body: 'y' }, { 'idempotency-key': 'shared-key' });
    expect([ka.status, kb.status]).toEqual([201, 201]);
    expect(kb.headers.get('idempotent-replayed')).toBeNull();
    expect(kb.body.credits.balance).not.toBe(ka.body.credits.balance);
  });

  it('API3: role, balance, userId, prices and amounts in bodies are refused or ignored', async () => {
    const a = await s.register();
    const victim = await s.register();
    await s.grant(a.user.id, 5);
    const admin = await s.userWithRole('admin');
    const victimBefore = (await victim.api.get('/api/credits/balance')).body;

    // A metered request cannot pick who pays or what it costs: the extra fields are ignored.
    const msg = await a.api.post('/api/messages', { to: 'x', body: 'y', userId: victim.user.id, cost: 0, amount: -100, credits: 0 });
    expect(msg.status).toBe(201);
    expect(msg.body.credits.charged).toBe(0.1);
    // Settings cannot carry a balance, a role or another user: refused (the body is strict).
    const set = await a.api.put('/api/credits/settings', {
      lowBalanceThreshold: 1,
      balance: 1e6,
      role: 'super_admin',
      userId: victim.user.id,
    });
    expect(set.status).toBe(400);
    // A purchase pays the package's price for the package's credits, whatever the body says.
    const buy = await a.api.post('/api/credits/purchase', { packageId: 'pkg_starter', priceCents: 1, amountCents: 1, credits: 1e6 });
    expect(buy.status).toBe(201);
    expect(buy.body.payment).toMatchObject({ amountCents: 1000, credits: 100 });
    // An admin changing a role cannot change a balance on the way: refused (strict body).
    const patch = await admin.api.patch(`/api/admin/users/${victim.user.id}`, { role: 'user', balance: 1e6 });
    expect(patch.status).toBe(400);
    // An adjustment goes to the user of the path, not of the body's userId (ignored).
    const adj = await admin.api.post(`/api/admin/users/${a.user.id}/adjustments`, { amount: 1, reason: 'test', userId: victim.user.id });
    expect(adj.status).toBe(201);

    const me = (await a.api.get('/api/auth/me')).body.user;
    expect(me.role).toBe('user');
    expect((await victim.api.get('/api/credits/balance')).body).toEqual(victimBefore);
    expect((await victim.api.get('/api/auth/me')).body.user.role).toBe('user');
    const bal = (await a.api.get('/api/credits/balance')).body;
    // 5 granted + 100 bought (simulated payments settle at once) - 0.1 message + 1 adjustment.
    expect(bal.balance).toBe(105.9);
  });

  it('API4: a JSON body over 1 MiB is 413 and charges nothing; every paginated route caps the page at 200', async () => {
    const a = await s.register();
    await s.grant(a.user.id, 5);
    const big = await a.api.post('/api/messages', { to: 'x', body: 'y'.repeat(1024 * 1024 + 10) });
    expect(big.status).toBe(413);
    expect(big.error?.code).toBe('payload_too_large');
    expect((await a.api.get('/api/credits/balance')).body.balance).toBe(5);

    const admin = await s.userWithRole('admin');
    const paginated = Object.entries(doc.paths)
      .filter(([, ops]) => ops.get?.parameters?.some((p) => p.in === 'query' && p.name === 'limit'))
      .map(([path]) => path);
    expect(paginated.length).toBeGreaterThanOrEqual(6);
    // A list below an object of its own: made here, so its page can be asked for.
    const FILL: Record<string, () => Promise<string>> = {
      '/api/admin/webhook-endpoints/{id}/deliveries': async () => {
        const made = await admin.api.post('/api/admin/webhook-endpoints', {
          url: 'https://example.com/hook',
          events: ['credits.purchased'],
        });
        expect(made.status).toBe(201);
        return `/api/admin/webhook-endpoints/${made.body.endpoint.id}/deliveries`;
      },
    };
    for (const spec of paginated) {
      const fill = FILL[spec];
      expect(fill || !spec.includes('{'), `${spec}: add how to make its object to FILL`).toBeTruthy();
      const path = fill ? await fill() : spec;
      const who = path.startsWith('/api/admin') ? admin.api : a.api;
      const over = await who.get(`${path}?limit=201`);
      expect(over.status, path).toBe(400);
      expect(over.error?.code, path).toBe('validation_error');
      expect((await who.get(`${path}?limit=200`)).status, path).toBe(200);
    }
  });

  it('API8/API10: a VAPI report without the shared secret is refused; a replayed one changes nothing', async () => {
    const a = await s.register();
    await s.grant(a.user.id, 10);
    const call = await a.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 300 });
    expect(call.status).toBe(201);
    const report = { message: { type: 'end-of-call-report', call: { id: call.body.call.id }, durationSeconds: 60 } };
    const held = (await a.api.get('/api/credits/balance')).body;
    for (const headers of [{}, { 'x-vapi-secret': 'guess' }, { 'x-vapi-secret': `${VAPI_SECRET}x` }] as Record<string, string>[]) {
      const r = await s.api.post('/api/vapi/webhook', report, headers);
      expect(r.status).toBe(401);
    }
    expect((await a.api.get('/api/credits/balance')).body).toEqual(held);
    expect((await s.api.post('/api/vapi/webhook', report, { 'x-vapi-secret': VAPI_SECRET })).status).toBe(200);
    const settled = (await a.api.get('/api/credits/balance')).body;
    expect(settled.reserved).toBe(0);
    expect((await s.api.post('/api/vapi/webhook', report, { 'x-vapi-secret': VAPI_SECRET })).status).toBe(200);
    expect((await a.api.get('/api/credits/balance')).body).toEqual(settled);
  });
});
