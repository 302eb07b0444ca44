/**
 * The service API (shared/API.md part two): API keys made, listed and revoked by admins
 * (a revoked key refused at once, on every instance), customers named by the platform's own
 * id, usage one at a time and in batches, and part one's POST /api/usage with the new keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { type Client, type TestServer, startTestServer } from '../support/server.js';

const BOOTSTRAP = 'bootstrap-service-key-0123456789';

describe.each(await activeDialects())('the service API on %s', (dialect) => {
  let s: TestServer;
  let admin: Awaited<ReturnType<TestServer['userWithRole']>>;
  let key: string;
  let svc: Client;
  let n = 0;
  const ext = (what = 'c') => `auth0|${what}-${++n}-${Math.random().toString(36).slice(2, 8)}`;

  /** A customer with `credits` credits. */
  async function customer(credits: number, externalId = ext()) {
    const r = await svc.put(`/api/v1/customers/${encodeURIComponent(externalId)}`, { name: 'Grace' });
    expect(r.status).toBe(201);
    if (credits > 0) await s.grant(r.body.customer.accountId, credits);
    return { externalId, accountId: r.body.customer.accountId as string };
  }

  beforeAll(async () => {
    s = await startTestServer(dialect, { SERVICE_API_KEY: BOOTSTRAP });
    admin = await s.userWithRole('admin');
    const r = await admin.api.call('POST /api/admin/api-keys', { body: { name: 'Recruitment backend' } });
    expect(r.status).toBe(201);
    key = r.body.key;
    svc = s.api.withToken(key);
  });
  afterAll(async () => {
    await s?.stop();
  });

  describe('API keys', () => {
    it('shows a key once, keeps only its hash, and lists it with its prefix and last use', async () => {
      const r = await admin.api.call('POST /api/admin/api-keys', { body: { name: 'Reports' } });
      expect(r.status).toBe(201);
      expect(r.body.key).toMatch(/^ck_live_[A-Za-z0-9_-]{40,}$/);
      expect(r.body.key.startsWith(r.body.apiKey.prefix)).toBe(true);
      const row = await s.running.core.database.db
        .selectFrom('api_keys')
        .selectAll()
        .where('id', '=', r.body.apiKey.id)
        .executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain(r.body.key);
      expect(row.hash).toMatch(/^[0-9a-f]{64}$/);

      let list = await admin.api.call('GET /api/admin/api-keys');
      let item = list.body.items.find((k) => k.id === r.body.apiKey.id);
      expect(item).toMatchObject({ name: 'Reports', prefix: r.body.apiKey.prefix, lastUsedAt: null, revokedAt: null });
      expect(JSON.stringify(list.body)).not.toContain(r.body.key);

      const used = await s.api.withToken(r.body.key).get('/api/v1/customers/nobody/balance');
      expect(used.status).toBe(404);
      // The last use is written beside the request, not in its way: wait for it.
      await waitFor(async () => {
        list = await admin.api.call('GET /api/admin/api-keys');
        item = list.body.items.find((k) => k.id === r.body.apiKey.id);
        return item?.lastUsedAt !== null;
      });
      expect(Date.parse(item?.lastUsedAt as string)).toBeGreaterThan(Date.now() - 60_000);
    });

    it('refuses a revoked key at once, with either header, and audits both ends', async () => {
      const r = await admin.api.call('POST /api/admin/api-keys', { body: { name: 'Short-lived' } });
      const k = r.body.key;
      expect((await s.api.withToken(k).get('/api/v1/customers/nobody/balance')).status).toBe(404);
      expect((await s.api.get('/api/v1/customers/nobody/balance', { 'x-service-key': k })).status).toBe(404);
      const del = await admin.api.call('DELETE /api/admin/api-keys/:id', { params: { id: r.body.apiKey.id } });
      expect(del.status).toBe(200);
      expect(del.body.apiKey.revokedAt).not.toBeNull();
      for (const res of [
        await s.api.withToken(k).get('/api/v1/customers/nobody/balance'),
        await s.api.get('/api/v1/customers/nobody/balance', { 'x-service-key': k }),
      ]) {
        expect(res.status).toBe(401);
        expect(res.error?.code).toBe('unauthorized');
      }
      // Still listed, as revoked; revoking again changes nothing.
      const again = await admin.api.call('DELETE /api/admin/api-keys/:id', { params: { id: r.body.apiKey.id } });
      expect(again.body.apiKey.revokedAt).toBe(del.body.apiKey.revokedAt);
      expect((await admin.api.call('DELETE /api/admin/api-keys/:id', { params: { id: 'no-such-key' } })).status).toBe(404);
      const audit = await admin.api.call('GET /api/admin/audit');
      const actions = audit.body.items.filter((a) => a.targetId === r.body.apiKey.id).map((a) => a.action);
      expect(actions.sort()).toEqual(['api_key.create', 'api_key.revoke']);
    });

    it('refuses a missing, unknown or user token on the service routes, and lets SERVICE_API_KEY in', async () => {
      const user = await s.register();
      for (const c of [s.api, s.api.withToken('ck_live_not-a-key'), user.api, admin.api]) {
        const res = await c.get('/api/v1/customers/nobody/balance');
        expect(res.status).toBe(401);
        expect(res.error?.code).toBe('unauthorized');
      }
      expect((await s.api.get('/api/v1/customers/nobody/balance', { 'x-service-key': BOOTSTRAP })).status).toBe(404);
      expect((await s.api.withToken(BOOTSTRAP).get('/api/v1/customers/nobody/balance')).status).toBe(404);
      expect((await s.api.get('/api/v1/customers/nobody/balance', { 'x-service-key': 'wrong' })).status).toBe(401);
    });

    it("keeps part one's POST /api/usage working with SERVICE_API_KEY and with the new keys", async () => {
      const c = await customer(10);
      const body = { userId: c.accountId, operation: 'message', unit: 'per_message', quantity: 1, idempotencyKey: `p1-${n}` };
      const viaBootstrap = await s.api.post('/api/usage', body, { 'x-service-key': BOOTSTRAP });
      expect(viaBootstrap.status).toBe(201);
      const viaKey = await s.api.post('/api/usage', { ...body, idempotencyKey: `p1b-${n}` }, { 'x-service-key': key });
      expect(viaKey.status).toBe(201);
      const viaBearer = await svc.post('/api/usage', { ...body, idempotencyKey: `p1c-${n}` });
      expect(viaBearer.status).toBe(201);
      expect(viaBearer.body.credits.balance).toBeCloseTo(9.7, 3);
      expect((await s.api.post('/api/usage', body, { 'x-service-key': 'ck_live_wrong' })).status).toBe(401);
    });
  });

  describe('customers', () => {
    it('creates (201) then updates (200) a customer, who is a user listed with its externalId', async () => {
      const id = ext();
      const path = `/api/v1/customers/${encodeURIComponent(id)}` as const;
      const created = await svc.put(path, { email: `${n}-ada@example.com`, name: 'Ada' });
      expect(created.status).toBe(201);
      expect(created.body.customer).toMatchObject({ externalId: id, kind: 'personal', name: 'Ada' });
      const updated = await svc.put(path, { name: 'Ada Lovelace' });
      expect(updated.status).toBe(200);
      expect(updated.body.customer).toEqual({ ...created.body.customer, name: 'Ada Lovelace' });
      const users = await admin.api.call('GET /api/admin/users', { query: { search: 'Ada Lovelace' } });
      const listed = users.body.items.find((u) => u.id === created.body.customer.accountId) as Record<string, unknown> | undefined;
      expect(listed).toMatchObject({ name: 'Ada Lovelace', externalId: id });
      const bal = await svc.call('GET /api/v1/customers/:externalId/balance', { params: { externalId: id } });
      expect(bal.status).toBe(200);
      expect(bal.body).toMatchObject({ balance: 0, reserved: 0, available: 0, unlimited: false });
    });

    it('creates one customer from parallel PUTs, and needs no email', async () => {
      const id = ext();
      const rs = await Promise.all([1, 2, 3, 4].map(() => svc.put(`/api/v1/customers/${encodeURIComponent(id)}`, {})));
      expect(rs.map((r) => r.status).sort()).toEqual([200, 200, 200, 201]);
      expect(new Set(rs.map((r) => r.body.customer.accountId)).size).toBe(1);
    });

    it('answers the contract errors: unknown customer 404, taken email 409, another kind 409', async () => {
      const unknown = await svc.get('/api/v1/customers/never-made/balance');
      expect(unknown.status).toBe(404);
      expect(unknown.error?.code).toBe('not_found');
      const other = await s.register();
      const taken = await svc.put(`/api/v1/customers/${ext()}`, { email: other.user.email });
      expect(taken.status).toBe(409);
      expect(taken.error?.code).toBe('conflict');
      // A personal customer never becomes an organisation (organisations: service-customers.test.ts).
      const personal = ext();
      expect((await svc.put(`/api/v1/customers/${personal}`, {})).status).toBe(201);
      const org = await svc.put(`/api/v1/customers/${personal}`, { kind: 'organization', name: 'Acme' });
      expect(org.status).toBe(409);
      expect(org.error?.code).toBe('conflict');
      expect((await svc.put(`/api/v1/customers/${ext()}`, { email: 'not-an-email' })).status).toBe(400);
    });
  });

  describe('usage', () => {
    it('charges a customer once per Idempotency-Key and shows its metadata in the history', async () => {
      const c = await customer(5);
      const body = {
        customer: c.externalId,
        operation: 'candidate_screening',
        unit: 'per_candidate',
        quantity: 1,
        metadata: { candidateId: 'cand_812', tags: ['a', 'b'] },
      };
      const first = await svc.post('/api/v1/usage', body, { 'idempotency-key': 'scr-1' });
      expect(first.status).toBe(201);
      expect(first.body.credits).toMatchObject({ charged: 2, balance: 3 });
      expect(first.body.usage.id).toEqual(expect.any(String));
      const replay = await svc.post('/api/v1/usage', body, { 'idempotency-key': 'scr-1' });
      expect(replay.status).toBe(201);
      expect(replay.body).toEqual(first.body);
      const conflict = await svc.post('/api/v1/usage', { ...body, quantity: 2 }, { 'idempotency-key': 'scr-1' });
      expect(conflict.status).toBe(409);
      expect(conflict.error?.code).toBe('idempotency_conflict');
      expect((await svc.call('GET /api/v1/customers/:externalId/balance', { params: { externalId: c.externalId } })).body.balance).toBe(3);

      const token = await s.running.core.database.db
        .selectFrom('usage_tracking')
        .select(['metadata'])
        .where('id', '=', first.body.usage.id)
        .executeTakeFirstOrThrow();
      expect(JSON.parse(token.metadata as string)).toEqual({ candidateId: 'cand_812', tags: ['a', 'b'] });
      const tx = await s.running.core.database.db
        .selectFrom('credit_transactions')
        .select(['metadata', 'type'])
        .where('user_id', '=', c.accountId)
        .where('type', '=', 'usage')
        .execute();
      expect(tx).toHaveLength(1);
      expect(JSON.parse(tx[0]?.metadata as string)).toEqual({
        operation: 'candidate_screening',
        unit: 'per_candidate',
        quantity: 1,
        candidateId: 'cand_812',
        tags: ['a', 'b'],
      });
    });

    it('scopes idempotency keys per API key', async () => {
      const c = await customer(5);
      const other = await admin.api.call('POST /api/admin/api-keys', { body: { name: 'Second backend' } });
      const body = { customer: c.externalId, operation: 'message', unit: 'per_message', quantity: 1 };
      const a = await svc.post('/api/v1/usage', body, { 'idempotency-key': 'same-key' });
      const b = await s.api.withToken(other.body.key).post('/api/v1/usage', body, { 'idempotency-key': 'same-key' });
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(b.headers.get('idempotent-replayed')).toBeNull();
      expect(b.body.credits.balance).toBeCloseTo(4.8, 3);
    });

    it('answers 400 without an Idempotency-Key or with bad metadata, 404 for an unknown customer, 402 when short', async () => {
      const c = await customer(0.05);
      const body = { customer: c.externalId, operation: 'message', unit: 'per_message', quantity: 1 };
      expect((await svc.post('/api/v1/usage', body)).status).toBe(400);
      const big = await svc.post('/api/v1/usage', { ...body, metadata: { blob: 'x'.repeat(4100) } }, { 'idempotency-key': 'big' });
      expect(big.status).toBe(400);
      expect(big.error?.code).toBe('validation_error');
      expect((await svc.post('/api/v1/usage', { ...body, metadata: ['not', 'an', 'object'] }, { 'idempotency-key': 'arr' })).status).toBe(
        400,
      );
      const unknown = await svc.post('/api/v1/usage', { ...body, customer: 'never-made' }, { 'idempotency-key': 'u' });
      expect(unknown.status).toBe(404);
      expect(unknown.error?.code).toBe('not_found');
      const short = await svc.post('/api/v1/usage', body, { 'idempotency-key': 'short' });
      expect(short.status).toBe(402);
      expect(short.error).toMatchObject({ code: 'insufficient_credits', details: { required: 0.1, available: 0.05 } });
      const member = await svc.post('/api/v1/usage', { ...body, member: 'someone-else' }, { 'idempotency-key': 'm' });
      expect(member.status).toBe(400);
    });

    it('never overspends under parallel usage', async () => {
      const c = await customer(1);
      const rs = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          svc.post(
            '/api/v1/usage',
            { customer: c.externalId, operation: 'message', unit: 'per_message', quantity: 1 },
            { 'idempotency-key': `par-${i}` },
          ),
        ),
      );
      expect(rs.filter((r) => r.status === 201)).toHaveLength(10);
      expect(rs.filter((r) => r.status === 402)).toHaveLength(15);
      const bal = await svc.call('GET /api/v1/customers/:externalId/balance', { params: { externalId: c.externalId } });
      expect(bal.body).toMatchObject({ balance: 0, available: 0 });
    });
  });

  describe('batches', () => {
    it('charges each event on its own: charged, duplicate, insufficient_credits, invalid', async () => {
      const rich = await customer(10);
      const poor = await customer(0.15);
      const ev = (id: string, customer: string, extra: Record<string, unknown> = {}) => ({
        id,
        customer,
        operation: 'message',
        unit: 'per_message',
        quantity: 1,
        ...extra,
      });
      const r = await svc.call('POST /api/v1/usage/batch', {
        body: {
          events: [
            ev('e1', rich.externalId, { metadata: { thread: 't-9' } }),
            ev('e2', poor.externalId),
            ev('e3', poor.externalId), // 0.05 left: short
            ev('e1', rich.externalId, { metadata: { thread: 't-9' } }), // earlier in this batch
            { id: 'e4', customer: rich.externalId, operation: 'message', unit: 'per_message', quantity: -1 },
            'not an event',
            ev('e5', 'never-made'),
            ev('e6', rich.externalId, { operation: 'no_such_operation' }),
            ev('e7', rich.externalId, { quantity: 2 }),
          ],
        },
      });
      expect(r.status).toBe(200);
      expect(r.body.results.map((x) => [x.id, x.status])).toEqual([
        ['e1', 'charged'],
        ['e2', 'charged'],
        ['e3', 'insufficient_credits'],
        ['e1', 'duplicate'],
        ['e4', 'invalid'],
        [null, 'invalid'],
        ['e5', 'invalid'],
        ['e6', 'invalid'],
        ['e7', 'charged'],
      ]);
      expect(r.body.results[0]?.charged).toBe(0.1);
      expect(r.body.results[8]?.charged).toBe(0.2);
      expect(r.body.results[2]?.error).toMatchObject({ code: 'insufficient_credits', details: { required: 0.1, available: 0.05 } });
      expect(r.body.results[4]?.error?.code).toBe('validation_error');
      expect(r.body.results[6]?.error?.code).toBe('not_found');

      // The same batch again: everything charged before is a duplicate, nothing moves.
      const again = await svc.call('POST /api/v1/usage/batch', {
        body: {
          events: [
            ev('e1', rich.externalId, { metadata: { thread: 't-9' } }),
            ev('e2', poor.externalId),
            ev('e7', rich.externalId, { quantity: 2 }),
          ],
        },
      });
      expect(again.body.results.map((x) => x.status)).toEqual(['duplicate', 'duplicate', 'duplicate']);
      const bal = await svc.call('GET /api/v1/customers/:externalId/balance', { params: { externalId: rich.externalId } });
      expect(bal.body.balance).toBeCloseTo(9.7, 3);
      // An event charged by batch shows its metadata in the history.
      const tx = await s.running.core.database.db
        .selectFrom('credit_transactions')
        .select('metadata')
        .where('user_id', '=', rich.accountId)
        .where('type', '=', 'usage')
        .orderBy('seq')
        .executeTakeFirstOrThrow();
      expect(JSON.parse(tx.metadata as string)).toMatchObject({ thread: 't-9', eventId: 'e1', operation: 'message', quantity: 1 });
    });

    it('judges an id repeated in one batch as a later batch would: duplicate of a charge, or charged after a refusal', async () => {
      const rich = await customer(10);
      const poor = await customer(0.15);
      const ev = (id: string, customer: string, quantity = 1) => ({ id, customer, operation: 'message', unit: 'per_message', quantity });
      const r = await svc.call('POST /api/v1/usage/batch', {
        body: {
          events: [
            ev('q1', poor.externalId, 100), // 10 credits: short
            ev('q1', poor.externalId, 1), // judged on its own: charged
            ev('r1', rich.externalId),
            ev('r1', rich.externalId, 2), // other content under a charged id
            ev('s1', 'never-made'),
            ev('s1', rich.externalId),
            ev('t1', rich.externalId),
            ev('t1', rich.externalId),
            ev('t1', rich.externalId),
          ],
        },
      });
      expect(r.status).toBe(200);
      const results = r.body.results;
      expect(results.map((x) => [x.id, x.status, x.error?.code ?? null])).toEqual([
        ['q1', 'insufficient_credits', 'insufficient_credits'],
        ['q1', 'charged', null],
        ['r1', 'charged', null],
        ['r1', 'duplicate', 'idempotency_conflict'],
        ['s1', 'invalid', 'not_found'],
        ['s1', 'charged', null],
        ['t1', 'charged', null],
        ['t1', 'duplicate', null],
        ['t1', 'duplicate', null],
      ]);
      expect(results[7]?.usageId).toBe(results[6]?.usageId);
      // Other content after a refusal takes a writer round each, four at most; the same content copies the refusal.
      const z = await svc.call('POST /api/v1/usage/batch', {
        body: { events: [...Array.from({ length: 7 }, (_, i) => ev('z1', poor.externalId, 100 + i)), ev('z1', poor.externalId, 106)] },
      });
      expect(z.body.results.map((x) => x.status)).toEqual([
        'insufficient_credits',
        'insufficient_credits',
        'insufficient_credits',
        'insufficient_credits',
        'insufficient_credits',
        'invalid',
        'invalid',
        'invalid',
      ]);
      expect(z.body.results[5]?.error?.message).toMatch(/at most 4 times in one batch/);
      const balance = async (c: { externalId: string }) =>
        (await svc.call('GET /api/v1/customers/:externalId/balance', { params: { externalId: c.externalId } })).body.balance;
      expect(await balance(poor)).toBeCloseTo(0.05, 3);
      expect(await balance(rich)).toBeCloseTo(9.7, 3);
    });

    it('takes 1 to 1,000 events: 0 or 1,001 is 400', async () => {
      const c = await customer(200);
      const events = Array.from({ length: 1000 }, (_, i) => ({
        id: `big-${i}`,
        customer: c.externalId,
        operation: 'message',
        unit: 'per_message',
        quantity: 1,
      }));
      const before = s.running.core.writer.stats.batches;
      const ok = await svc.call('POST /api/v1/usage/batch', { body: { events } });
      expect(ok.status).toBe(200);
      expect(ok.body.results.every((x) => x.status === 'charged')).toBe(true);
      // The whole batch is one transaction of the writer.
      expect(s.running.core.writer.stats.batches - before).toBe(1);
      expect(
        (await svc.call('GET /api/v1/customers/:externalId/balance', { params: { externalId: c.externalId } })).body.balance,
      ).toBeCloseTo(100, 3);
      const tooMany = await svc.post('/api/v1/usage/batch', { events: [...events, { ...events[0], id: 'one-more' }] });
      expect(tooMany.status).toBe(400);
      expect(tooMany.error?.code).toBe('validation_error');
      expect((await svc.post('/api/v1/usage/batch', { events: [] })).status).toBe(400);
      expect((await svc.post('/api/v1/usage/batch', {})).status).toBe(400);
    });

    it('scopes event ids per API key, and never overspends across parallel batches', async () => {
      const c = await customer(1);
      const events = (tag: string) =>
        Array.from({ length: 8 }, (_, i) => ({
          id: `${tag}-${i}`,
          customer: c.externalId,
          operation: 'message',
          unit: 'per_message',
          quantity: 1,
        }));
      const rs = await Promise.all([
        svc.post('/api/v1/usage/batch', { events: events('a') }),
        svc.post('/api/v1/usage/batch', { events: events('b') }),
      ]);
      const statuses = rs.flatMap((r) => r.body.results.map((x) => x.status));
      expect(statuses.filter((x) => x === 'charged')).toHaveLength(10);
      expect(statuses.filter((x) => x === 'insufficient_credits')).toHaveLength(6);
      const bal = await svc.call('GET /api/v1/customers/:externalId/balance', { params: { externalId: c.externalId } });
      expect(bal.body.balance).toBe(0);
    });
  });
});

describe.each(await activeDialects())('API key revocation across instances on %s', (dialect) => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    a = await startTestServer(dialect);
    b = await startTestServer(dialect, {}, a);
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('refuses a key revoked on one instance on the other within a second', async () => {
    const admin = await a.userWithRole('admin');
    const made = await admin.api.call('POST /api/admin/api-keys', { body: { name: 'Two instances' } });
    const onB = b.api.withToken(made.body.key);
    // B has seen (and cached) the key as valid.
    expect((await onB.get('/api/v1/customers/nobody/balance')).status).toBe(404);
    const revokedAt = Date.now();
    expect((await admin.api.call('DELETE /api/admin/api-keys/:id', { params: { id: made.body.apiKey.id } })).status).toBe(200);
    expect((await a.api.withToken(made.body.key).get('/api/v1/customers/nobody/balance')).status).toBe(401);
    await waitFor(async () => (await onB.get('/api/v1/customers/nobody/balance')).status === 401, 3000);
    expect(Date.now() - revokedAt).toBeLessThan(1500);
  });

  it.runIf(dialect === 'postgres')('refuses it on the other instance before that instance’s cached answer runs out (NOTIFY)', async () => {
    const admin = await a.userWithRole('admin');
    const made = await admin.api.call('POST /api/admin/api-keys', { body: { name: 'Two instances, at once' } });
    const onB = b.api.withToken(made.body.key);
    // B caches the key as valid no earlier than `cachedFrom`, for a second: a 401 from B that
    // arrives within that second can only come from the revocation announced to B.
    const cachedFrom = Date.now();
    expect((await onB.get('/api/v1/customers/nobody/balance')).status).toBe(404);
    expect((await admin.api.call('DELETE /api/admin/api-keys/:id', { params: { id: made.body.apiKey.id } })).status).toBe(200);
    await waitFor(async () => (await onB.get('/api/v1/customers/nobody/balance')).status === 401, 3000);
    expect(Date.now() - cachedFrom).toBeLessThan(1000);
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
